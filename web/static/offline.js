// Work without a signal, the page's side (DESIGN.md section 8): registers the service worker (/sw.js)
// once the page is shown, shows the counter of visits waiting on the phone, asks the worker to send
// them (at load, when the phone is back online, on "Send now"), lists them on /queue, downloads a
// village, and empties the phone's stores at sign-out. The worker holds the data; this script asks.
// Its texts come translated from the page (#texts, data-*).

const USER = document.body.dataset.user || "";
const TEXTS = document.getElementById("texts")?.dataset || {};
const say = (name, values = {}) =>
  (TEXTS[name] || "").replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
const dateTime = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", {
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "Asia/Ho_Chi_Minh",
});

// A question to the worker; `onProgress` hears its progress reports before the answer.
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
  const counter = document.getElementById("queue-count");
  if (!counter) return;
  counter.dataset.count = String(waiting);
  counter.dataset.review = String(review);
  counter.querySelector("b").textContent = String(waiting + review);
  counter.hidden = waiting + review === 0;
}

// A message at the top of the page, for what the queue did (sent, to review, sign in).
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
  } else if (result.sent) {
    notice(say("sent", { n: result.sent }));
  } else if (result.review) {
    notice(say("review", { n: result.review }), "/queue");
  }
  if (document.getElementById("queue")) listQueue();
}

async function replay() {
  const button = document.getElementById("send-now");
  if (button) button.disabled = true;
  try {
    const result = await ask({ type: "replay" });
    reportReplay(result);
    return result;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- /queue: each visit waiting on this phone -------------------------------------------------

async function listQueue() {
  const section = document.getElementById("queue");
  const { entries = [] } = await ask({ type: "list" });
  for (const [listId, states] of [["queue-waiting", ["waiting", "signin"]], ["queue-review", ["review"]]]) {
    const list = document.getElementById(listId);
    const shown = entries.filter((e) => states.includes(e.state)).sort((a, b) => a.id - b.id);
    list.replaceChildren(
      ...(shown.length ? shown.map((entry) => queueItem(section, entry)) : [emptyItem(section)]),
    );
  }
}

function emptyItem(section) {
  const item = document.createElement("li");
  item.className = "muted";
  item.textContent = section.dataset.empty;
  return item;
}

function queueItem(section, entry) {
  const item = document.createElement("li");
  item.className = "queue-item";
  item.dataset.state = entry.state;
  const what = document.createElement("span");
  const code = document.createElement("strong");
  code.textContent = entry.code || entry.token.slice(0, 6);
  const detail = document.createElement("span");
  detail.className = "muted small";
  const state = section.dataset[`status${entry.state[0].toUpperCase()}${entry.state.slice(1)}`];
  detail.textContent = ` ${dateTime.format(new Date(entry.at))} · ${state}`;
  what.append(code, detail);
  item.append(what);
  const tools = document.createElement("span");
  tools.className = "queue-tools";
  if (entry.state === "review") {
    const open = document.createElement("a");
    open.className = "button primary";
    open.href = `/queue/review/${entry.id}`;
    open.textContent = section.dataset.openLabel;
    tools.append(open);
  }
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "danger";
  discard.textContent = section.dataset.discardLabel;
  discard.addEventListener("click", async () => {
    // Nothing leaves the queue without the volunteer saying so.
    if (!window.confirm(say("discard"))) return;
    showCounts(await ask({ type: "discard", id: entry.id }));
    listQueue();
  });
  tools.append(discard);
  item.append(tools);
  return item;
}

// ---- Taking a village offline ------------------------------------------------------------------

const downloadedKey = (village) => `phocap:${USER}:village:${village}`;

function showDownloaded(box) {
  const at = localStorage.getItem(downloadedKey(box.dataset.village));
  box.querySelector(".offline-when").textContent = at ? say("downloaded", { time: dateTime.format(new Date(Number(at))) }) : "";
}

async function downloadVillage(box) {
  const button = box.querySelector("button");
  const bar = box.querySelector("progress");
  const when = box.querySelector(".offline-when");
  button.disabled = true;
  let done = 0;
  let total = 0;
  try {
    const answer = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok || answer.redirected) throw new Error(String(answer.status));
    const { urls } = await answer.json();
    total = urls.length;
    bar.max = total;
    bar.value = 0;
    bar.hidden = false;
    when.textContent = say("progress", { done: 0, total });
    const result = await ask({ type: "download", urls }, ({ progress }) => {
      done = progress;
      bar.value = progress;
      when.textContent = say("progress", { done: progress, total });
    });
    done = result.kept;
    if (result.failed) throw new Error("incomplete");
    localStorage.setItem(downloadedKey(box.dataset.village), String(Date.now()));
    showDownloaded(box);
  } catch (error) {
    when.textContent = say("downloadFailed", { done, total });
  } finally {
    button.disabled = false;
  }
}

function forgetOtherUsers() {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith("phocap:") && !key.startsWith(`phocap:${USER}:`)) localStorage.removeItem(key);
  }
}

// ---- Sign-out: warn about waiting visits, then empty the phone ----------------------------------

function guardSignOut(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.cleared) return;
    event.preventDefault();
    const { waiting = 0 } = await within(ask({ type: "status" }), 2000, {});
    if (waiting > 0 && !window.confirm(say("signout", { n: waiting }))) return;
    // The server's Clear-Site-Data does the same; this covers browsers without it.
    await within(ask({ type: "clear" }), 2000, {});
    for (const key of Object.keys(localStorage)) if (key.startsWith("phocap:")) localStorage.removeItem(key);
    form.dataset.cleared = "1";
    form.submit();
  });
}

async function start() {
  if (USER) {
    forgetOtherUsers();
    // After the page is shown: the worker and its precache are no part of the first paint.
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  }
  if (!(await navigator.serviceWorker.getRegistration())) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type === "queue") showCounts(event.data);
  });
  document.querySelectorAll('form[action="/signout"]').forEach(guardSignOut);
  if (USER) {
    for (const box of document.querySelectorAll(".offline-download")) {
      box.hidden = false;
      showDownloaded(box);
      box.querySelector("button").addEventListener("click", () => downloadVillage(box));
    }
  }
  document.getElementById("send-now")?.addEventListener("click", replay);
  window.addEventListener("online", replay);
  const counts = await ask({ type: "hello" });
  showCounts(counts);
  if (document.getElementById("queue")) listQueue();
  if (counts.waiting) await replay();
}

if ("serviceWorker" in navigator) {
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
}
