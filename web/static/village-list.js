// A village's list searched, filtered and ordered in place (docs/architecture.md §7): the page holds
// every household of the village, so the phone answers with no request, online and offline alike. Each
// row carries the server's folded search key (data-search), its status (data-status: c covered, u not),
// its reasons (data-reasons) and its keys in each order (data-rank, data-by-name); a visit waiting
// on this phone (data-waiting, set by waiting-visits.js) counts as visited, waiting. The filters and the
// order live in the URL's hash (#status=…&reason=…&sort=…), so reload and back keep them and the
// phone's copy of the page answers for them; the text searched never goes in a URL (it is often a name).

// As surveys/core/text.py fold() and surveys/register/search_matches.py search_words(): lower case, no
// accents, đ as d; the words of a search without LIKE's wildcards.
const fold = (text) => text.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/\p{M}/gu, "");
const words = (text) => fold(text).split(/\s+/).map((w) => w.replace(/[%_\\]/g, "")).filter(Boolean);
// An attempt (nobody home, declined, come back) is a reason only while no visit was completed.
const NOT_VISITED = ["not_visited", "nobody_home", "declined", "come_back"];

// The row's reasons, with a completed visit waiting on this phone: no longer "not visited".
function reasonsOf(row) {
  const reasons = row.dataset.reasons ? row.dataset.reasons.split(" ") : [];
  return row.dataset.waiting === "done" ? reasons.filter((r) => !NOT_VISITED.includes(r)) : reasons;
}

// The member other than the head whose name holds every word searched, when the head's does not (as
// surveys/register/search_matches.py matched_members): the household is named by its head.
function memberFound(row, wanted) {
  const holds = (name) => wanted.every((w) => fold(name).includes(w));
  if (!wanted.length || holds(row.querySelector("strong").textContent)) return "";
  return (row.dataset.others ? row.dataset.others.split("|") : []).find(holds) || "";
}

function villageList(list) {
  const box = document.getElementById("q");
  const form = document.getElementById("search");
  const results = document.getElementById("results");
  const rows = [...list.children];
  const hidden = (name) => results.querySelector(`input[name="${name}"][form="search"]`);
  const state = { status: hidden("status").value, reason: hidden("reason").value, sort: hidden("sort").value };
  for (const [key, value] of new URLSearchParams(location.hash.slice(1))) {
    if (key in state) state[key] = value;
  }

  function show() {
    const wanted = words(box.value);
    const counts = { all: 0, covered: 0, uncovered: 0, waiting: 0 };
    let shown = 0;
    for (const row of rows) {
      const found = wanted.every((w) => row.dataset.search.includes(w));
      const reasons = reasonsOf(row);
      const waiting = "waiting" in row.dataset;
      if (found) {
        counts.all += 1;
        counts[row.dataset.status === "c" ? "covered" : "uncovered"] += 1;
        if (waiting) counts.waiting += 1;
        for (const r of reasons) counts[r] = (counts[r] || 0) + 1;
      }
      const status = state.status === "all" || (state.status === "waiting" ? waiting
        : (row.dataset.status === "c") === (state.status === "covered"));
      row.hidden = !(found && status && (!state.reason || reasons.includes(state.reason)));
      if (!row.hidden) {
        shown += 1;
        say(row, memberFound(row, wanted));
      }
    }
    for (const chip of results.querySelectorAll(".chip")) {
      const name = chip.dataset.status || chip.dataset.reason;
      const on = chip.dataset.status ? state.status === name && !state.reason : state.reason === name;
      chip.classList.toggle("on", on);
      chip.querySelector("b").textContent = String(counts[name] || 0);
      if (chip.dataset.reason || name === "waiting") chip.hidden = !counts[name] && !on;
    }
    const line = document.getElementById("shown");
    line.textContent = (shown === 1 ? line.dataset.one : line.dataset.other).replace("{n}", String(shown));
    document.getElementById("no-match").hidden = shown > 0;
    for (const link of results.querySelectorAll("[data-sort]")) {
      if (link.dataset.sort === state.sort) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    remember();
  }

  // "Member found: …" under the head's name, or nothing.
  function say(row, member) {
    const line = row.querySelector("a > span.small");
    if (line ? line.dataset.member === member : !member) return; // says it already
    line?.remove();
    if (!member) return;
    const found = document.createElement("span");
    found.className = "small";
    found.dataset.member = member;
    found.textContent = list.dataset.found.replace("{name}", member);
    row.querySelector("a > span").after(found);
  }

  // The rows in the order chosen, by the key each carries (plain string order, as the server orders
  // them): a list the phone patched by rows after a refresh orders as one drawn whole.
  function order() {
    const key = (row) => (state.sort === "name" ? row.dataset.byName : `${row.dataset.rank} ${row.dataset.byName}`);
    const before = (a, b) => key(a) < key(b);
    if (rows.every((row, i) => i === 0 || before(rows[i - 1], row))) return; // drawn in this order
    rows.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    list.append(...rows);
  }

  // The hidden fields the no-script form posts, the export links and the URL say what is shown.
  function remember() {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) {
      hidden(key).value = value === "waiting" ? "all" : value;
      const fallback = { status: "all", reason: "", sort: "visit" }[key];
      if (value !== fallback && value !== "waiting") query.set(key, value);
    }
    for (const link of results.querySelectorAll("[data-export]")) {
      const path = link.getAttribute("href").split("?")[0];
      link.setAttribute("href", query.toString() ? `${path}?${query}` : path);
    }
    if (state.status === "waiting") query.set("status", "waiting");
    history.replaceState(history.state, "", `${location.pathname}${query.toString() ? `#${query}` : ""}`);
  }

  results.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-status], a[data-reason], a[data-sort]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (link.dataset.sort) {
      state.sort = link.dataset.sort;
      order();
    } else if (link.dataset.reason) {
      state.reason = state.reason === link.dataset.reason ? "" : link.dataset.reason;
      state.status = "all";
    } else {
      state.status = link.dataset.status;
      state.reason = "";
    }
    show();
  });
  box.addEventListener("input", show);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  document.addEventListener("phocap:waiting", show);
  order();
  show();
}

const list = document.querySelector("ul.households");
if (list) villageList(list);
