// /queue: each visit or class attendance waiting on this phone (whose, time, state, and why the server has
// not got it yet), the ones to review with a
// link to the server's answer (the form with the volunteer's answers), and a discard button that
// asks first; how many another account of this phone left waiting (parked: nothing of them shown).
// A class attendance (kind "attendance") says whom and which class; refused, it shows the
// server's reason and links to the class. Loaded by offline.js on that page only; `phone` is what offline.js shares.

export default function queuePage(phone) {
  const section = document.getElementById("queue");

  async function list() {
    const { entries = [], parked = 0 } = await phone.ask({ type: "list" });
    const others = document.getElementById("queue-parked");
    others.textContent = phone.fill(others.dataset.text, { n: parked });
    others.hidden = parked === 0;
    for (const [listId, states] of [["queue-waiting", ["waiting", "signin"]], ["queue-review", ["review"]]]) {
      const shown = entries.filter((e) => states.includes(e.state)).sort((a, b) => a.id - b.id);
      document.getElementById(listId).replaceChildren(...(shown.length ? shown.map(item) : [empty()]));
    }
  }

  function empty() {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = section.dataset.empty;
    return li;
  }

  function item(entry) {
    const li = document.createElement("li");
    li.className = "queue-item";
    li.dataset.state = entry.state;
    const what = document.createElement("span");
    const attendance = entry.kind === "attendance";
    li.dataset.kind = attendance ? "attendance" : "visit";
    const code = document.createElement("strong");
    code.textContent = attendance
      ? phone.fill(section.dataset.attendance, { when: entry.what, who: entry.code })
      : phone.fill(section.dataset.visit, { code: entry.code || (entry.token || "").slice(0, 6) });
    const detail = document.createElement("span");
    detail.className = "muted small";
    // Its state, or why it still waits when the server answered something else than "recorded"
    // (web/sw.js whyKept: a password to change, a refusal, an error).
    const named = (prefix, word) => section.dataset[`${prefix}${word[0].toUpperCase()}${word.slice(1)}`];
    const why = entry.state !== "review" && entry.why ? named("why", entry.why) : "";
    detail.textContent = ` ${phone.dateTime.format(new Date(entry.at))} · ${why || named("status", entry.state)}`;
    what.append(code, detail);
    if (attendance && entry.state === "review") {
      const reason = document.createElement("span");
      reason.className = "queue-reason error small";
      reason.setAttribute("role", "alert");
      const said = { 403: section.dataset.refusedForbidden, 404: section.dataset.refusedMissing };
      reason.textContent = entry.reason || said[entry.status] || section.dataset.refused;
      what.append(reason);
    }
    const tools = document.createElement("span");
    tools.className = "queue-tools";
    if (entry.state === "review") {
      const open = document.createElement("a");
      open.className = "button primary";
      open.href = attendance ? entry.page : `/queue/review/${entry.id}`;
      open.textContent = attendance ? section.dataset.openClass : section.dataset.openLabel;
      tools.append(open);
    }
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "danger";
    discard.textContent = section.dataset.discardLabel;
    discard.addEventListener("click", async () => {
      // Nothing leaves the queue without the volunteer saying so.
      if (!window.confirm(attendance ? section.dataset.discardAttendance : section.dataset.discard)) return;
      phone.showCounts(await phone.ask({ type: "discard", id: entry.id }));
      list();
    });
    tools.append(discard);
    li.append(what, tools);
    return li;
  }

  list();
  return list;
}
