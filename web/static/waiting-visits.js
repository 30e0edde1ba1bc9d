// Visits waiting on this phone, shown where they matter: "Visit waiting to send" with the time it was
// saved and its outcome on the household's page, on its visit form (a warning before a second visit)
// and on its row of the village list (data-waiting, which village-list.js counts). The queue is the
// worker's (web/sw.js: IndexedDB "phocap", store "queue"); this page only reads it. Texts: the
// template #waiting-texts (web/templates/_waiting.html). Loaded by offline.js, which calls what this
// returns whenever the queue changes; `phone` is what offline.js shares.

let phone = null;

// This user's visits not sent yet (waiting, or waiting for sign-in or review), by household token: the
// latest of each. Never creates the database: that is the worker's to do, with its stores.
function waitingVisits() {
  return new Promise((resolve) => {
    const found = new Map();
    if (!phone.user || !window.indexedDB) return resolve(found);
    const open = indexedDB.open("phocap");
    open.onupgradeneeded = () => open.transaction.abort(); // no queue on this phone yet
    open.onerror = () => resolve(found);
    open.onsuccess = () => {
      const handle = open.result;
      if (!handle.objectStoreNames.contains("queue")) {
        handle.close();
        return resolve(found);
      }
      const all = handle.transaction("queue", "readonly").objectStore("queue").getAll();
      all.onsuccess = () => {
        for (const entry of all.result) {
          if (entry.user !== phone.user || entry.kind || !entry.token) continue; // a visit: no kind
          const outcome = new URLSearchParams(entry.body || "").get("outcome") || "";
          const seen = found.get(entry.token);
          if (!seen || seen.at < entry.at) found.set(entry.token, { at: entry.at, outcome });
        }
        resolve(found);
      };
      all.onerror = () => resolve(found);
      // Closed at once: sign-out deletes the database and must not wait for this page.
      all.transaction.oncomplete = all.transaction.onabort = () => handle.close();
    };
  });
}

function describe(texts, text, visit) {
  const key = `outcome${visit.outcome.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}`;
  return text.replace("{time}", phone.dateTime.format(new Date(visit.at))).replace("{outcome}", texts[key] || visit.outcome);
}

async function mark() {
  const texts = document.getElementById("waiting-texts")?.dataset;
  if (!texts) return;
  const waiting = await waitingVisits();
  for (const notice of document.querySelectorAll("#waiting-visit[data-token]")) {
    const visit = waiting.get(notice.dataset.token);
    notice.hidden = !visit;
    if (visit) notice.textContent = describe(texts, notice.dataset.text, visit);
  }
  const rows = document.querySelectorAll("ul.households > li");
  for (const row of rows) {
    const link = row.querySelector("a[href^='/h/']");
    const visit = link && waiting.get(link.getAttribute("href").slice(3));
    row.querySelector(".pill.waiting")?.remove();
    row.querySelector(".pill.nv")?.toggleAttribute("hidden", Boolean(visit && visit.outcome === "done"));
    if (!visit) {
      delete row.dataset.waiting;
      continue;
    }
    row.dataset.waiting = visit.outcome;
    const pill = document.createElement("span");
    pill.className = "pill waiting";
    pill.textContent = describe(texts, texts.row, visit);
    row.querySelector(".badges")?.prepend(pill);
  }
  if (rows.length) document.dispatchEvent(new CustomEvent("phocap:waiting"));
}

export default function waitingMarks(shared) {
  phone = shared;
  document.addEventListener("htmx:afterSettle", mark); // a visit form htmx drew in
  mark();
  return mark;
}
