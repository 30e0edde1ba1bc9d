// Offline, page side (docs/architecture.md §7; web/sw.js holds the data): worker, counter, replay, sign-out.
// Texts: #texts data-*. More modules per page by data-script (offline-queue.js, offline-download.js,
// offline-class.js).

const USER = document.body.dataset.user || "";
const TEXTS = document.getElementById("texts")?.dataset || {};
const fill = (text, values = {}) => (text || "").replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
const say = (name, values) => fill(TEXTS[name], values);
// dd/MM/yyyy HH:mm, Asia/Ho_Chi_Minh (docs/architecture.md §6)
const dateTime = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", {
  day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh",
});

// Ask the worker; onProgress hears its reports.
async function ask(message, onProgress) {
  const registration = await navigator.serviceWorker.ready;
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    channel.port1.onmessage = (event) => {
      if (event.data.done) resolve(event.data);
      else if (onProgress) onProgress(event.data);
    };
    registration.active.postMessage({ ...message, user: USER }, [channel.port2]);
  });
}

const within = (promise, ms, fallback) =>
  Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);

function showCounts({ waiting = 0, review = 0 }) {
  retryLater({ waiting });
  const counter = document.getElementById("queue-count");
  if (!counter) return;
  counter.dataset.count = String(waiting);
  counter.dataset.review = String(review);
  counter.querySelector("b").textContent = String(waiting + review);
  counter.hidden = waiting + review === 0;
}

function notice(text, link) {
  let box = document.getElementById("queue-notice");
  if (!box) {
    box = document.createElement("p");
    box.id = "queue-notice";
    box.className = "notice queue-notice";
    box.setAttribute("role", "status");
    document.getElementById("main")?.prepend(box);
  }
  box.replaceChildren();
  if (link) {
    const a = document.createElement("a");
    a.href = link;
    a.textContent = text;
    box.append(a);
  } else {
    box.textContent = text;
  }
}

function reportReplay(result) {
  showCounts(result);
  if (result.signin) {
    const here = location.pathname.startsWith("/signin") ? "/" : location.pathname;
    notice(say("signin"), `/signin?next=${encodeURIComponent(here)}`);
  } else if (result.password) {
    notice(say("password"), "/password");
  } else if (result.sent || result.attended) {
    const sent = [result.sent && say("sent", { n: result.sent }), result.attended && say("attended", { n: result.attended })];
    notice(sent.filter(Boolean).join(" "));
  } else if (result.review) {
    notice(say("review", { n: result.review }), "/queue");
  }
  relist?.(result);
}

let relist = null;

async function replay() {
  const button = document.getElementById("send-now");
  if (button) button.disabled = true;
  try {
    const result = await ask({ type: "replay" });
    if (result.sent || result.attended) restartRetries();
    reportReplay(result);
    return result;
  } finally {
    if (button) button.disabled = false;
  }
}

// While the app is open, what waits is sent again by itself: OFFLINE_RETRY_SECONDS (the page's
// data-retry, 15 s) after a send that did not go through, the wait doubling up to 5 minutes; back to
// the first wait after a send that went through, and on `online`. A server that came back without the
// phone's network changing (no `online`) is found this way.
const FIRST_RETRY_MS = 1000 * Number(document.getElementById("queue-count")?.dataset.retry || 15);
const LAST_RETRY_MS = 5 * 60 * 1000;
let retryWait = FIRST_RETRY_MS;
let retryTimer = null;

// Called with each count the page learns: a timer runs while something waits to be sent.
function retryLater({ waiting = 0 }) {
  if (!waiting) {
    clearTimeout(retryTimer);
    retryTimer = null;
    retryWait = FIRST_RETRY_MS;
  } else if (!retryTimer) {
    retryTimer = setTimeout(retryNow, retryWait);
  }
}

// Back to the first wait, from now (a send went through, or the network came back).
function restartRetries() {
  clearTimeout(retryTimer);
  retryTimer = null;
  retryWait = FIRST_RETRY_MS;
}

async function retryNow() {
  const timer = retryTimer; // this one, fired: no other is set while it stays
  const result = await replay();
  // A send that went through (here or by "Send now" meanwhile) started the retries again already.
  if (retryTimer !== timer) return;
  retryWait = Math.min(retryWait * 2, LAST_RETRY_MS);
  retryTimer = null;
  retryLater(result);
}

// `online` fires as the phone's radio comes back, often before a request gets through (the worker may
// still be cut off, a network still being joined): when the queue could not be sent, try again a few
// times, then leave it to the retries above, the next page or "Send now".
async function replaySoon() {
  restartRetries();
  for (const pause of [0, 2000, 5000, 10000]) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    if (!(await replay()).offline) return;
  }
}

function forgetOtherUsers() {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith("phocap:") && !key.startsWith(`phocap:${USER}:`)) localStorage.removeItem(key);
  }
}

function guardSignOut(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.cleared) return;
    event.preventDefault();
    // With work waiting or pages kept (the user's, or another account's waiting work), /signout says
    // what becomes of them and asks. A worker that does not answer in time (busy) sends there too:
    // waiting visits are never wiped without the question.
    const status = await within(ask({ type: "signout" }), 5000, null);
    if (!status || status.waiting || status.review || status.parked || status.stored) {
      location.assign("/signout");
      return;
    }
    // Also done by the server's Clear-Site-Data; this is for browsers without it.
    await within(ask({ type: "clear" }), 2000, {});
    for (const key of Object.keys(localStorage)) if (key.startsWith("phocap:")) localStorage.removeItem(key);
    form.dataset.cleared = "1";
    form.submit();
  });
}

async function start() {
  if (USER) {
    forgetOtherUsers();
    // On load: the worker and its precache are no part of the first paint.
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  }
  if (!(await navigator.serviceWorker.getRegistration())) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type !== "queue") return;
    showCounts(event.data);
    relist?.();
  });
  document.querySelectorAll('form[action="/signout"]:not([data-decided])').forEach(guardSignOut);
  document.getElementById("send-now")?.addEventListener("click", replay);
  window.addEventListener("online", replaySoon);
  const counts = await ask({ type: "hello" });
  showCounts(counts);
  const phone = { user: USER, ask, fill, showCounts, dateTime };
  const download = document.querySelector(".offline-download[data-script]");
  if (USER && download) (await import(download.dataset.script)).default(phone);
  // A page listing what waits on the phone (/queue, a class's pending attendees) or marking it (a
  // household, its visit form, a village's list): drawn again whenever the queue changes.
  const queue = document.querySelector("#queue[data-script], #attendance-pending[data-script], #waiting-texts[data-script]");
  if (queue) relist = (await import(queue.dataset.script)).default(phone);
  const signOut = document.querySelector("#signout[data-script]");
  if (signOut) await (await import(signOut.dataset.script)).default(phone);
  if (counts.waiting) await replay();
}

if ("serviceWorker" in navigator) {
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
}
