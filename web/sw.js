/* phocap's service worker (docs/architecture.md §7), served at /sw.js by server/worker.py.
 *
 * - App shell: Workbox precaching (vendored, web/static/vendor/workbox/) of the static files and the
 *   offline pages, by content hash; a release changes this file and Workbox deletes the old entries.
 * - Pages: network first with a short timeout, then the copy stored for the signed-in user, then the
 *   offline page saying what is missing. Stored copies live in one cache per user (`phocap-user-KEY`,
 *   KEY an HMAC of the user id: no personal data), expire after OFFLINE_DAYS, go at sign-out.
 * - A village taken offline comes a few hundred pages to an answer (its parts, server/offline_parts.py):
 *   one compressed stream of pages of one template is far smaller than each page alone, and a slow
 *   link waits out a handful of round trips instead of ~1,500. Each page is split out as it streams
 *   in and checked as a page fetched alone is; a server without parts (404) sends them page by page.
 *   The household pages and visit forms are kept a few dozen of one kind to a bundle (one gzip
 *   stream, "Bundles" below); any page kept later for the same URL is kept alone and wins.
 * - Who the phone's user is: the KEY of the last signed-in page the server sent (its data-user; the
 *   app-shell pages come from the network first for it) or that a page script said hello with; another
 *   user's KEY lets the previous user's copies go and parks their waiting work (counted, not shown,
 *   sent only under their own session: each replay names its KEY, which the server checks).
 * - A stored page is shown only under the grant of the last signed-in page (data-grant: KEY, end);
 *   a page without a session, the sign-in page and sign-out withdraw it.
 * - Sign-out: the user's pages and grant go at once; without a signal the sign-out is answered here and
 *   sent to the server before the next page.
 * - Visits: a visit that cannot be sent is kept in IndexedDB with its client_id and the moment it was
 *   saved (saved_at), and answered with "saved on the phone"; the page script asks for a replay (page
 *   load, `online`, "Send now", its retries while open), and Background Sync does where the browser
 *   has it. The server's client_id makes a replay of a visit that did arrive a no-op: the queue never
 *   guesses. An item leaves the phone only on the server's explicit answer that it has its client_id
 *   (server/replay.py); any other answer keeps it, with the reason.
 * - Classes (issue 14): a class's page and its people (the roster) are kept with the village; with no
 *   signal the attendee search is answered from the roster, and an attendance is queued like a visit and
 *   replayed, with its client_id, to the class page's attendance form (the JSON API takes bearer tokens,
 *   not the phone's session; both call the same surveys/learning/attendance.py). A refusal stays in the
 *   queue with the server's reason until the volunteer fixes or discards it.
 *
 * The page scripts talk to this worker by messages (web/static/offline.js); it holds no text of its
 * own: the pages it answers with are drawn by the server, translated, and precached.
 */
"use strict";

const CONFIG = self.__PHOCAP_CONFIG__;
importScripts(...CONFIG.workbox);

const PAGE_TIMEOUT_MS = 3500;
const SEND_TIMEOUT_MS = 5000;
const REPLAY_TIMEOUT_MS = 15000;
// The header marking a replay of a kept item (server/replay.py), and the Background Sync tag.
const REPLAY_HEADER = "x-phocap-replay";
const SYNC_TAG = "phocap-queue";
const DAY_MS = 24 * 3600 * 1000;
const USER_CACHE = "phocap-user-";
const VISIT_POST = /^\/h\/[^/]+\/visits$/;
const HOUSEHOLD = /^\/h\/[^/]+(\/visit)?$/;
// The pages kept for work offline: a household, its visit form, the user's villages, a village's list,
// a ward's classes of the month, a class and its roster (of a village).
const KEPT = /^\/(h\/[^/]+(\/visit)?|villages(\/\d+)?|wards\/[^/]+\/classes(\/\d+(\/roster)?)?)$/;
const KEPT_QUERY = /^(\?(page|village)=\d+)?$/;
const CLASS_PAGE = /^\/wards\/[^/]+\/classes\/\d+(\/roster)?$/;
const ATTEND_POST = /^\/wards\/([^/]+)\/classes\/(\d+)\/attendance$/;
const CLASS_SEARCH = /^\/wards\/([^/]+)\/classes\/(\d+)\/search$/;
const SEARCH_LIMIT = 20; // as surveys/learning/attendance.py
// The app shell's pages: from the network when it answers (they name the signed-in user, who may be
// someone new), else the copy precached for nobody.
const SHELL = /^\/(queue|signout|offline\/(saved|missing))$/;

self.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
// The shell pages are drawn for nobody: no one's name, key or session kept for whoever comes next.
workbox.precaching.addPlugins([{ requestWillFetch: async ({ request }) => new Request(request, { credentials: "omit" }) }]);
// Routed after the pages (below): a shell page asked by a navigation goes to the network first.
workbox.precaching.precache(CONFIG.precache);

// ---- IndexedDB: the queue of visits and who the phone's user is -------------------------------

let database = null;

function db() {
  if (!database) {
    database = new Promise((resolve, reject) => {
      // Version 2 adds "pages": where each page kept in a bundle lies (see "Bundles" below).
      const open = indexedDB.open("phocap", 2);
      open.onupgradeneeded = () => {
        const names = open.result.objectStoreNames;
        if (!names.contains("queue")) open.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
        if (!names.contains("meta")) open.result.createObjectStore("meta");
        if (!names.contains("pages")) {
          open.result.createObjectStore("pages", { keyPath: ["user", "url"] }).createIndex("bundle", "bundle");
        }
      };
      open.onsuccess = () => {
        const handle = open.result;
        // Sign-out deletes the database: let it go at once.
        handle.onversionchange = () => { handle.close(); database = null; };
        resolve(handle);
      };
      open.onerror = () => { database = null; reject(open.error); };
    });
  }
  return database;
}

async function store(name, mode, work) {
  const handle = await db();
  return new Promise((resolve, reject) => {
    const transaction = handle.transaction(name, mode);
    const request = work(transaction.objectStore(name));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const storedUser = async () => (await store("meta", "readonly", (s) => s.get("user"))) || "";
const entriesOf = async (user) =>
  ((await store("queue", "readonly", (s) => s.getAll())) || []).filter((e) => e.user === user);
// What other users left waiting on this phone (parked): counted, never shown, sent or discarded here.
const parked = async (user) =>
  ((await store("queue", "readonly", (s) => s.getAll())) || []).filter((e) => e.user !== user).length;

// ---- Pages ------------------------------------------------------------------------------------

function timeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

const html = (text, status = 200) =>
  new Response(text, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });

// Each form drawn from the store is a new record: a new client_id (a kept form could otherwise give
// a second record the first one's id, and the server would take it for a resend).
const freshIds = (text) =>
  text.replace(/(name="client_id" value=")[^"]*"/g, (_, start) => `${start}${crypto.randomUUID()}"`);

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// As surveys/core/text.py fold(): lower case, no accents, đ as d.
const fold = (text) =>
  text.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/\s+/).filter(Boolean).join(" ");

// What htmx swaps into #main: the same page's main block (one template for page and fragment).
function mainOf(page) {
  const found = page.match(/<main id="main">([\s\S]*)<\/main>/);
  return found ? found[1] : page;
}

async function shellPage(url) {
  const response = await workbox.precaching.matchPrecache(url);
  return response ? response.text() : "";
}

// Stored pages are kept gzipped (x-phocap-encoding: gzip): a page is ~20 KB of HTML and a village
// ~1,500 pages, ~30 MB stored as text on a phone with little room; gzip alone keeps a fifth of it, and
// bundles (below) a fraction of that (tests/benchmarks/commune_offline.py). A browser without
// CompressionStream keeps the text, and copies stored as text before still read.
const ENCODING = "x-phocap-encoding";

// `text` as stored: its body and the headers that say how it is kept.
async function packed(text) {
  if (typeof CompressionStream !== "function") return { body: text, encoding: "" };
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return { body: await new Response(stream).arrayBuffer(), encoding: "gzip" };
}

// The text of a stored page, however it was kept.
async function unpacked(response) {
  if (response.headers.get(ENCODING) !== "gzip") return response.text();
  return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).text();
}

// The bytes of page bodies this worker has kept since it started: a download's progress reports them,
// and the page weighs what the rest of the village needs against the room left (offline-download.js).
let keptBytes = 0;

// A page's text kept for `user` under `key`, with the headers it came with (or a plain page's).
async function put(user, key, text, from = { "Content-Type": "text/html; charset=utf-8" }) {
  const headers = new Headers(from);
  const { body, encoding } = await packed(text);
  headers.set("x-phocap-stored", String(Date.now()));
  // What the network said of its own body (its length, its transfer's encoding) is not this body.
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
  if (encoding) headers.set(ENCODING, encoding);
  else headers.delete(ENCODING);
  const cache = await caches.open(USER_CACHE + user);
  await cache.put(key, new Response(body, { status: 200, headers }));
  keptBytes += typeof body === "string" ? new Blob([body]).size : body.byteLength;
  await unindex(user, [key]);
}

// The grant a signed-in page of `user` carries (data-grant="KEY.END.SIGNATURE") is the phone's now.
async function learnGrant(user, text) {
  const [key, expires] = ((text.match(/<body[^>]*\sdata-grant="([^"]*)"/) || [])[1] || "").split(".");
  if (key === user) await store("meta", "readwrite", (s) => s.put({ user, expires: Number(expires) }, "grant"));
}

// The user whose grant a kept page was last found to hold (a read of it per page kept saved).
let grantHeld = "";

// Keep a page for `user` when it is the page that user saw (not the sign-in page, nor a page of
// someone else signed in meanwhile). Returns whether it was kept; with a `bundle` (a download's), a
// household's page or visit form goes into it: "bundled" (kept once the bundle is, which says so). A page
// kept from the network is the server's word as a page shown is: without a grant (the pages since sign-in
// came before this worker looked after them, as at its install) it gives one, or the village just
// downloaded would not open.
async function keep(url, response, user, bundle = null) {
  if (!user || !response.ok || response.redirected) return false;
  const text = await response.text();
  if (!text.includes(`data-user="${user}"`)) return false;
  if (grantHeld !== user) {
    if (!(await granted(user))) await learnGrant(user, text);
    if (await granted(user)) grantHeld = user;
  }
  const key = url.pathname + url.search;
  if (bundle && HOUSEHOLD.test(key)) {
    await bundle.add(key, text);
    return "bundled";
  }
  await put(user, key, text, response.headers);
  return true;
}

// Whether the phone may show `user`'s stored pages: the grant of the last page the server sent names
// them and has not run out (OFFLINE_DAYS from that page). None after sign-out, or once a page came
// with no session (ended, account closed): the stored pages then wait for the next sign-in.
async function granted(user) {
  const grant = await store("meta", "readonly", (s) => s.get("grant"));
  return Boolean(user && grant && grant.user === user && Date.now() < grant.expires);
}

// The text of the page stored for `user` under `key` (marked as a stored copy unless `mark` is false),
// or null: a page kept alone (gzipped, or text as kept before) or in a bundle; one kept alone is the
// newer (put() unindexes the bundle's copy, a bundle deletes the pages it brings again).
async function stored(user, key, mark = true) {
  if (!(await granted(user))) return null;
  const cache = await caches.open(USER_CACHE + user);
  const response = await cache.match(key);
  let text = null;
  let at = 0;
  if (response) {
    at = Number(response.headers.get("x-phocap-stored"));
    if (Date.now() - at > CONFIG.offlineDays * DAY_MS) {
      await cache.delete(key);
      return null;
    }
    text = await unpacked(response);
  } else {
    const entry = await store("pages", "readonly", (s) => s.get([user, key]));
    if (!entry) return null;
    at = entry.at;
    text = Date.now() - at > CONFIG.offlineDays * DAY_MS ? null : await fromBundle(cache, entry);
    if (text === null) {
      await unindex(user, [key]);
      return null;
    }
  }
  return mark ? marked(text, at) : text;
}

// Whether a page is stored for `user` under `key` (alone or in a bundle), without reading it.
async function has(user, key) {
  const cache = await caches.open(USER_CACHE + user);
  return Boolean((await cache.match(key)) || (await store("pages", "readonly", (s) => s.get([user, key]))));
}

// ---- Bundles: a downloaded village's household pages, many to one stored entry ----------------
//
// A commune of 10,000 households is ~20,000 household pages and visit forms. Kept one entry each,
// gzipped, they took ~83 MB (a visit form is ~23-29 KB of HTML, ~5 KB gzipped alone, plus each
// entry's own cost). The pages of one kind differ in a few lines (the household's names, answers,
// ids), but gzip alone cannot see that across pages: it looks back 32 KB, less than a visit form of
// three or more members. So the pages a download brings are kept BUNDLE_PAGES of one kind (household
// pages, visit forms) to a bundle: each distinct line once, each page as the list of its lines' numbers,
// in one gzip stream under `/_bundle/<id>` in the user's cache; IndexedDB ("pages") says which bundle
// and which page of it each URL is (tests/benchmarks/commune_offline.py measures the room it takes
// and the time to open a page on a slowed CPU). Anything kept later for the same URL (a page opened
// online, a refresh after a visit) is kept alone and drops the bundle's index entry, so the bundle's
// copy can never be served again; a bundle no page points to goes. Deleting a page (forget: a
// refresh, sign-out) writes its bundle again without it: no household's data stays behind in a bundle.
const BUNDLE = "/_bundle/";
const BUNDLE_PAGES = 32;

// A bundle as read: its lines and its pages' line numbers (null when it is not there). The last one
// read is kept in memory: a bundle never changes (written again, it is a new one), and is read only
// through an index entry that still names it.
let lastBundle = { key: "", read: null };

async function readBundle(cache, bundle) {
  if (lastBundle.key === bundle) return lastBundle.read;
  const response = await cache.match(bundle);
  if (!response) return null;
  const read = JSON.parse(await unpacked(response));
  lastBundle = { key: bundle, read };
  return read;
}

// The text of page `page` of a bundle as read (null when it has none).
function pageOf(read, page) {
  const numbers = read && read.pages[page];
  return numbers ? numbers.map((n) => read.lines[n]).join("\n") : null;
}

async function fromBundle(cache, entry) {
  return pageOf(await readBundle(cache, entry.bundle), entry.page);
}

// Keep `pages` ([{url, text}], stored `at`) for `user` as one bundle; without CompressionStream, each
// alone as text (put). The bundle is newer than any copy kept before: those go.
async function writeBundle(user, pages, at = Date.now()) {
  if (!pages.length) return;
  if (typeof CompressionStream !== "function") {
    for (const { url, text } of pages) await put(user, url, text);
    return;
  }
  const numbered = new Map();
  const lines = [];
  const numbers = pages.map(({ text }) => text.split("\n").map((line) => {
    if (!numbered.has(line)) numbered.set(line, lines.push(line) - 1);
    return numbered.get(line);
  }));
  const { body } = await packed(JSON.stringify({ lines, pages: numbers }));
  const key = `${BUNDLE}${crypto.randomUUID()}`;
  const headers = { "Content-Type": "application/json", "x-phocap-stored": String(at), [ENCODING]: "gzip" };
  const cache = await caches.open(USER_CACHE + user);
  await cache.put(key, new Response(body, { status: 200, headers }));
  keptBytes += body.byteLength;
  const before = await Promise.all(pages.map(({ url }) => store("pages", "readonly", (s) => s.get([user, url]))));
  await store("pages", "readwrite", (s) => pages.forEach(({ url }, page) => s.put({ user, url, bundle: key, page, at })));
  await Promise.all(pages.map(({ url }) => cache.delete(url)));
  await dropEmpty(user, before.filter(Boolean).map((entry) => entry.bundle));
}

// Bundles of `user` no page points to any more go.
async function dropEmpty(user, bundles) {
  const cache = await caches.open(USER_CACHE + user);
  for (const bundle of new Set(bundles)) {
    if (!(await store("pages", "readonly", (s) => s.index("bundle").count(bundle)))) await cache.delete(bundle);
  }
}

// The bundles' copies of `urls` can no longer be served (kept alone since, or gone).
async function unindex(user, urls) {
  const entries = (await Promise.all(urls.map((url) => store("pages", "readonly", (s) => s.get([user, url]))))).filter(Boolean);
  if (!entries.length) return;
  await store("pages", "readwrite", (s) => entries.forEach((entry) => s.delete([user, entry.url])));
  await dropEmpty(user, entries.map((entry) => entry.bundle));
}

// Each bundle holding one of `urls` is written again without them (or goes, when nothing else is in it).
async function unbundle(user, urls) {
  const gone = new Set(urls);
  const entries = (await Promise.all(urls.map((url) => store("pages", "readonly", (s) => s.get([user, url]))))).filter(Boolean);
  const cache = await caches.open(USER_CACHE + user);
  for (const bundle of new Set(entries.map((entry) => entry.bundle))) {
    const all = await store("pages", "readonly", (s) => s.index("bundle").getAll(bundle));
    const read = await readBundle(cache, bundle);
    const kept = all.map((entry) => ({ url: entry.url, text: pageOf(read, entry.page), at: entry.at }))
      .filter((page) => !gone.has(page.url) && page.text !== null);
    await store("pages", "readwrite", (s) => all.forEach((entry) => s.delete([user, entry.url])));
    if (kept.length) await writeBundle(user, kept, Math.min(...kept.map((page) => page.at)));
    await cache.delete(bundle);
  }
}

// The pages of one download or refresh, gathered by kind and kept a bundle at a time (`writeBundle`).
// `done(urls, kept)` hears of each bundle's pages once they are stored (or failed to be).
function bundler(user, done) {
  const groups = new Map();
  async function write(kind) {
    const pages = groups.get(kind) || [];
    groups.delete(kind);
    if (!pages.length) return;
    let kept = true;
    try {
      await writeBundle(user, pages);
    } catch (error) {
      kept = false; // no room left, most likely: these pages are not on the phone
    }
    done(pages.map((page) => page.url), kept);
  }
  return {
    async add(url, text) {
      const kind = url.endsWith("/visit") ? "visit" : "page";
      const pages = groups.get(kind) || [];
      groups.set(kind, pages);
      pages.push({ url, text });
      if (pages.length >= BUNDLE_PAGES) await write(kind);
    },
    async flush() {
      for (const kind of [...groups.keys()]) await write(kind);
    },
  };
}

// A page from the store says so at its top, with the time it was kept (the text is the server's).
async function marked(text, at) {
  const note = (await shellPage("/offline/missing?kind=page")).match(/<template id="stored-copy">([\s\S]*?)<\/template>/);
  if (!note) return text;
  const lang = (text.match(/<html lang="(\w+)"/) || [])[1] === "en" ? "en-GB" : "vi-VN";
  const time = new Intl.DateTimeFormat(lang, {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh",
  }).format(new Date(at));
  return text.replace('<main id="main">', `<main id="main">${note[1].replace("{time}", time)}`);
}

// ---- Who the phone's user is -------------------------------------------------------------------

// A signed-in page names its user (data-user="KEY", base.html); the sign-in page names no one and
// changes nothing. The worker takes the KEY of each page the server sends, so a page opened before
// any page script's hello is kept, and kept for its user. One at a time, in the order the pages came
// (`learnt`): the offline answer and sign-out's clearing wait for what the pages before them taught.
let learnt = Promise.resolve();

function inTurn(work) {
  const turn = learnt.then(work);
  learnt = turn.catch(() => {});
  return turn;
}

const remember = (url, response, kept) => inTurn(async () => {
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/html")) return;
  const text = await response.text();
  const user = (text.match(/<body[^>]*\sdata-user="([^"]*)"/) || [])[1];
  if (user === "") { // no session here
    grantHeld = "";
    await store("meta", "readwrite", (s) => s.delete("grant"));
  }
  if (!user) return;
  await adopt(user);
  await learnGrant(user, text);
  // Not a page reached by a redirect: that may be another page than the one asked for.
  if (kept && !response.redirected) await keep(url, new Response(text, response), user);
});

// `user` is the phone's user from now on; the copies stored for anyone else go (another user signed
// in on this phone: never show one user's stored page to another).
async function adopt(user) {
  if (user !== (await storedUser())) await store("meta", "readwrite", (s) => s.put(user, "user"));
  for (const name of await caches.keys()) {
    if (!name.startsWith(USER_CACHE) || name === USER_CACHE + user) continue;
    await caches.delete(name);
    await unindexUser(name.slice(USER_CACHE.length));
  }
}

// Where `user`'s bundled pages lay: gone with their cache (and the bundle last read, from memory).
async function unindexUser(user) {
  lastBundle = { key: "", read: null };
  await store("pages", "readwrite", (s) => s.delete(IDBKeyRange.bound([user], [user, []])));
}

// Network first. Only pages the phone can answer from its store (a household, its visit form, a
// village's list) give the network a short time; anything else (an export, a sticker sheet) may take
// as long as it takes, and the offline page answers only when the network fails.
async function page({ request, url, event }) {
  await sendSignOut(); // a sign-out made without a signal ends the session before any page is asked
  const hx = request.headers.get("HX-Request") === "true";
  const kept = KEPT.test(url.pathname) && KEPT_QUERY.test(url.search);
  const shell = SHELL.test(url.pathname) ? await workbox.precaching.matchPrecache(url.pathname + url.search) : null;
  const network = fetch(request).then((response) => {
    if (hx) return response;
    const learning = remember(url, response.clone(), kept);
    try {
      event.waitUntil(learning); // the worker stays up until the page is kept
    } catch (late) {
      // answered from the store already (a slow network): the event may no longer be extended
    }
    return response;
  });
  try {
    return await (kept || shell ? timeout(network, PAGE_TIMEOUT_MS) : network);
  } catch (error) {
    if (shell) return html(hx ? mainOf(await shell.text()) : await shell.text());
    await learnt; // a page just sent may have named a new user
    const user = await storedUser();
    let text = kept ? await stored(user, url.pathname + url.search) : null;
    // Each visit form opened from the store is a new visit: a new client_id (one kept form could
    // otherwise give a second visit the first one's id, and the server would take it for a resend).
    if (text && (url.pathname.endsWith("/visit") || CLASS_PAGE.test(url.pathname))) text = freshIds(text);
    if (text) return html(hx ? mainOf(text) : text);
    if (error.message === "timeout") {
      try {
        return await network; // nothing stored to show instead: keep waiting for the server
      } catch (failed) {
        // gone: the offline page says what is missing
      }
    }
    const kind = HOUSEHOLD.test(url.pathname) ? "household" : "page";
    const missing = await shellPage(`/offline/missing?kind=${kind}`);
    return html(hx ? mainOf(missing) : missing);
  }
}

workbox.routing.registerRoute(
  ({ request, url }) =>
    url.origin === location.origin && url.pathname.startsWith("/queue/review/"),
  async ({ request, url }) => {
    const text = await stored(await storedUser(), url.pathname, false);
    return text ? html(request.headers.get("HX-Request") ? mainOf(text) : text)
      : html(await shellPage("/offline/missing?kind=page"));
  },
);

workbox.routing.registerRoute(
  ({ request, url }) =>
    url.origin === location.origin && !url.pathname.startsWith("/static/") &&
    (request.mode === "navigate" || request.headers.get("HX-Request") === "true"),
  page,
);

workbox.precaching.addRoute({ ignoreURLParametersMatching: [/^utm_/] });

// ---- Signing out: this phone forgets the user at once, the server hears now or at the next signal --

// The user's stored pages and grant go, and the phone has no user until the next sign-in (the user's
// waiting work stays, parked, unless `discard`: the second tap of /signout).
async function forgetUser(user, discard) {
  grantHeld = "";
  await store("meta", "readwrite", (s) => { s.delete("grant"); s.put("", "user"); });
  await caches.delete(USER_CACHE + user);
  await unindexUser(user);
  for (const entry of discard ? await entriesOf(user) : []) {
    await store("queue", "readwrite", (s) => s.delete(entry.id));
  }
  await broadcast();
}

workbox.routing.registerRoute(
  ({ url }) => url.origin === location.origin && url.pathname === "/signout",
  async ({ request }) => {
    const fields = new URLSearchParams(await request.clone().text());
    const user = await storedUser();
    if (user) await inTurn(() => forgetUser(user, fields.get("discard") === "1"));
    try {
      return await timeout(fetch(request), SEND_TIMEOUT_MS);
    } catch (error) {
      // No signal: the session cookie stays until the server is told (sendSignOut).
      if (user) await store("meta", "readwrite", (s) => s.put(user, "signout"));
      return html(await shellPage("/offline/missing?kind=signedout"));
    }
  },
  "POST",
);

// A sign-out made without a signal, sent now if the server answers: it ends that user's session (the
// server refuses it, changing nothing, when someone else is signed in by then).
async function sendSignOut() {
  const user = await store("meta", "readonly", (s) => s.get("signout"));
  if (!user) return;
  try {
    const answer = await timeout(fetch("/csrf", { credentials: "same-origin", cache: "no-store" }), PAGE_TIMEOUT_MS);
    const token = (await answer.json()).token;
    await timeout(fetch("/signout", {
      method: "POST",
      body: new URLSearchParams({ _csrf_token: token, keep: "1" }),
      headers: { "x-csrftoken": token, "x-phocap-user": user },
      credentials: "same-origin",
      redirect: "manual",
    }), SEND_TIMEOUT_MS);
    await store("meta", "readwrite", (s) => s.delete("signout"));
  } catch (error) {
    // still no signal: the next page tries again
  }
}

// ---- Visits: sent, or kept on the phone -------------------------------------------------------

async function broadcast() {
  const user = await storedUser();
  const message = { type: "queue", ...(await counts(user)) };
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
    client.postMessage(message);
  }
}

async function counts(user) {
  const entries = await entriesOf(user);
  const review = entries.filter((e) => e.state === "review").length;
  return { waiting: entries.length - review, review };
}

// After a visit reached the server, the copies kept of its household (page and form, now one
// version behind) are drawn again, if the phone keeps them.
async function refresh(user, token) {
  for (const path of [`/h/${token}`, `/h/${token}/visit`]) {
    if (!(await has(user, path))) continue;
    try {
      await keep(new URL(path, location.origin), await fetch(path, { credentials: "same-origin" }), user);
    } catch (error) {
      // the old copy stays
    }
  }
}

// The item to review whose client_id `body` names waits again, with `body` (the form as corrected and
// saved again; the moment of its first save stays); whether there was one.
async function unreview(user, body) {
  const fields = new URLSearchParams(body);
  const clientId = fields.get("client_id");
  let found = false;
  for (const entry of await entriesOf(user)) {
    if (!clientId || entry.clientId !== clientId || entry.state !== "review") continue;
    const savedAt = new URLSearchParams(entry.body).get("saved_at");
    if (savedAt && !fields.has("saved_at")) fields.set("saved_at", savedAt);
    fields.delete("_csrf_token"); // the replay gets a fresh one
    const waiting = { ...entry, body: fields.toString(), state: "waiting", why: "unconfirmed" };
    await store("queue", "readwrite", (s) => s.put(waiting));
    found = true;
  }
  return found;
}

// The body kept for a form post, with the moment the volunteer saved it (`saved_at`, UTC): the replay
// sends this body unchanged, so the server can date the work when it was done, not when it arrived.
function withSavedAt(body) {
  if (new URLSearchParams(body).has("saved_at")) return body; // kept before: its first moment stays
  return `${body}${body ? "&" : ""}saved_at=${encodeURIComponent(new Date().toISOString())}`;
}

// Background Sync, where the browser has it (Chrome on Android): the browser wakes this worker to
// send the queue once it has a connection, even with phocap closed. Elsewhere this does nothing: the
// pages send the queue (on load, `online`, their retries, "Send now").
async function askForSync() {
  try {
    if (self.registration.sync) await self.registration.sync.register(SYNC_TAG);
  } catch (error) {
    // not allowed here (a setting, a private window): the pages still send it
  }
}

async function queueVisit(url, posted, hx) {
  const body = withSavedAt(posted);
  const fields = new URLSearchParams(body);
  const token = url.pathname.split("/")[2];
  const entry = {
    user: await storedUser(),
    url: url.pathname,
    body,
    token,
    clientId: fields.get("client_id") || "",
    code: fields.get("household_code") || "",
    at: Date.now(),
    state: "waiting",
  };
  await store("queue", "readwrite", (s) => s.add(entry));
  await askForSync();
  await broadcast();
  const text = (await shellPage("/offline/saved")).replaceAll("/h/__token__", `/h/${token}`);
  return html(hx ? mainOf(text) : text);
}

// A form post sent now, or kept on the phone by `queue(url, body, hx)` when the network fails or the
// server cannot answer: the queue's answer is then `queued`.
async function sendOrKeep(request, url, queue) {
  const body = await request.clone().text();
  const hx = request.headers.get("HX-Request") === "true";
  let response;
  try {
    response = await timeout(fetch(request), SEND_TIMEOUT_MS);
  } catch (error) {
    return { body, queued: await queue(url, body, hx) };
  }
  if (response.status >= 500) return { body, queued: await queue(url, body, hx) };
  return { response, body, queued: null };
}

workbox.routing.registerRoute(
  ({ url }) => url.origin === location.origin && VISIT_POST.test(url.pathname),
  async ({ request, url, event }) => {
    const { response, body, queued } = await sendOrKeep(request, url, queueVisit);
    if (queued) return queued;
    if (response.ok || response.type === "opaqueredirect") {
      // A visit reviewed from the queue and saved again: the page the browser gets (the household,
      // or a redirect, which may as well be to sign in or to /password) proves nothing. Its item waits
      // again, as corrected, and is replayed at once: the server's explicit answer lets it go.
      const user = await storedUser();
      if (await unreview(user, body)) {
        const sending = replay(user);
        try {
          event.waitUntil(sending);
        } catch (late) {
          // the event may no longer be extended: the replay runs on while the worker is up
        }
      }
      refresh(user, url.pathname.split("/")[2]).catch(() => {});
    }
    return response;
  },
  "POST",
);

// ---- Classes: the attendee search and attendance without a signal ------------------------------

// The people of the kept rosters of a class (one per village downloaded) matching `q` as the server's
// search does: every word in the name, or every word in the household's code and address.
async function offlineSearch(user, base, q) {
  const cache = await caches.open(USER_CACHE + user);
  const items = [];
  let none = null;
  for (const request of await cache.keys()) {
    const path = new URL(request.url);
    if (path.pathname !== `${base}/roster`) continue;
    const text = await stored(user, path.pathname + path.search, false);
    if (!text) continue;
    none = none ?? (text.match(/<template id="none-found">([\s\S]*?)<\/template>/) || [])[1];
    items.push(...text.matchAll(/<li data-name="([^"]*)" data-place="([^"]*)">[\s\S]*?<\/li>/g));
  }
  if (none === null) return null;
  const words = fold(q).split(" ").filter(Boolean);
  const found = words.length
    ? items.filter(([, name, place]) => words.every((w) => name.includes(w)) || words.every((w) => place.includes(w)))
    : [];
  const seen = new Set();
  const unique = found.filter(([item]) => !seen.has(item) && seen.add(item)).slice(0, SEARCH_LIMIT);
  return `${words.length && !unique.length ? none : ""}<ul class="list found">${freshIds(unique.map(([item]) => item).join(""))}</ul>`;
}

workbox.routing.registerRoute(
  ({ url }) => url.origin === location.origin && CLASS_SEARCH.test(url.pathname),
  async ({ request, url }) => {
    const body = await request.clone().text();
    try {
      const response = await timeout(fetch(request), PAGE_TIMEOUT_MS);
      if (response.status < 500) return response;
    } catch (error) {
      // no signal: search the copy on the phone
    }
    const user = await storedUser();
    const base = url.pathname.replace(/\/search$/, "");
    const found = await offlineSearch(user, base, new URLSearchParams(body).get("q") || "");
    if (found === null) return html(mainOf(await shellPage("/offline/missing?kind=page")));
    if (request.headers.get("HX-Request") === "true") return html(found);
    const page = await stored(user, base);
    return html(page ? freshIds(page).replace(/(<div id="found">)[\s\S]*?<\/ul>/, `$1${found}`) : found);
  },
  "POST",
);

async function queueAttendance(url, posted, hx) {
  const body = withSavedAt(posted);
  const fields = new URLSearchParams(body);
  const [, ward, classId] = url.pathname.match(ATTEND_POST);
  const user = await storedUser();
  const page = `/wards/${ward}/classes/${classId}`;
  const entry = {
    user,
    kind: "attendance",
    url: url.pathname,
    page,
    body,
    clientId: fields.get("client_id") || "",
    code: fields.get("queue_who") || "",
    what: fields.get("queue_class") || "",
    at: Date.now(),
    state: "waiting",
  };
  await store("queue", "readwrite", (s) => s.add(entry));
  await askForSync();
  await broadcast();
  // The class's attendance as kept on the phone, "saved on the phone: whom" at its top, ready for the next.
  const note = ((await shellPage("/offline/missing?kind=page")).match(/<template id="attendance-saved">([\s\S]*?)<\/template>/) || [])[1] || "";
  const saved = note.replace("{who}", escapeHtml(entry.code));
  const text = await stored(user, page);
  const section = text && text.match(/(<section class="card" id="attendance">)([\s\S]*?)(<\/section>)/);
  if (!section) return html(hx ? saved : `${saved}<p><a href="/queue">/queue</a></p>`);
  const inner = freshIds(saved + section[2]);
  return html(hx ? inner : freshIds(text).replace(section[0], section[1] + inner + section[3]));
}

workbox.routing.registerRoute(
  ({ url }) => url.origin === location.origin && ATTEND_POST.test(url.pathname),
  async ({ request, url }) => {
    const { response, queued } = await sendOrKeep(request, url, queueAttendance);
    return queued || response;
  },
  "POST",
);

// ---- Replay, in order, with the same client_id and a fresh CSRF token --------------------------

// The text of the server's error box (its Vietnamese reasons), HTML tags and entities undone.
function reasonsOf(page) {
  const box = page.match(/<div class="error" role="alert">([\s\S]*?)<\/div>/);
  if (!box) return "";
  const lines = [...box[1].matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => m[1].replace(/<[^>]*>/g, "").trim());
  const named = { amp: "&", lt: "<", gt: ">", quot: '"' };
  return lines.join(" ").replace(/&(#\d+|\w+);/g, (all, e) =>
    e[0] === "#" ? String.fromCharCode(Number(e.slice(1))) : named[e] ?? all);
}

// After an attendance reached the server, the copies kept of its class (the page, with its list of
// attendees, and the rosters, which say who is already on it) are drawn again.
async function refreshClass(user, page) {
  const cache = await caches.open(USER_CACHE + user);
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (url.pathname !== page && url.pathname !== `${page}/roster`) continue;
    try {
      await keep(url, await fetch(url.pathname + url.search, { credentials: "same-origin" }), user);
    } catch (error) {
      // the old copy stays
    }
  }
}

// A queued form post sent again, as the page sent it, with a fresh CSRF token and marked as a replay:
// the server's answer, or null when none came in time. Redirects are followed, so the phone knows
// where one led (to sign in, to /password): never to a success.
async function post(entry, token, headers = {}) {
  const fields = new URLSearchParams(entry.body);
  fields.set("_csrf_token", token);
  const request = new Request(entry.url, {
    method: "POST",
    body: fields,
    headers: { "x-csrftoken": token, [REPLAY_HEADER]: "1", "x-phocap-user": entry.user, ...headers },
    credentials: "same-origin",
    redirect: "follow",
  });
  try {
    return await timeout(fetch(request), REPLAY_TIMEOUT_MS);
  } catch (error) {
    return null;
  }
}

// An item leaves the phone only on the server's explicit success for its client_id: 201, or 200 for
// a client_id it had already, with a result naming it (server/replay.py). A redirect, a sign-in page,
// the household's page or any other answer is no proof that the server has it.
async function recorded(response, entry) {
  if (response.redirected || (response.status !== 201 && response.status !== 200)) return false;
  if (!(response.headers.get("Content-Type") || "").startsWith("application/json")) return false;
  try {
    const result = await response.clone().json();
    return result.status === "recorded" && String(result.client_id).toLowerCase() === String(entry.clientId).toLowerCase();
  } catch (error) {
    return false;
  }
}

// Why an answer that is no success keeps its item: the sign-in page or a way to it ("signin"), the
// password the ward office reset ("password"), a refusal ("forbidden"), a server error ("server"), or
// anything else ("unconfirmed"). The queue page says which; the next replay tries again.
function whyKept(response) {
  const led = response.redirected ? response.url : response.headers.get("HX-Redirect");
  if (led) {
    const path = new URL(led, location.origin).pathname;
    return path === "/password" ? "password" : path === "/signin" ? "signin" : "unconfirmed";
  }
  if (response.status === 401) return "signin";
  if (response.status === 403) return "forbidden";
  if (response.status >= 500) return "server";
  return "unconfirmed";
}

async function keepWaiting(entry, why, status = 0) {
  const state = why === "signin" ? "signin" : "waiting";
  await store("queue", "readwrite", (s) => s.put({ ...entry, state, why, status }));
  return why;
}

async function sent(entry) {
  await store("queue", "readwrite", (s) => s.delete(entry.id));
  await (await caches.open(USER_CACHE + entry.user)).delete(`/queue/review/${entry.id}`);
  await broadcast();
}

// An attendance is sent as the class page's htmx form sends it. A refusal of the attendance itself
// keeps it to review, with the server's reason in Vietnamese, for the volunteer.
async function sendAttendance(entry, token) {
  const response = await post(entry, token, { "HX-Request": "true" });
  if (!response) return keepWaiting(entry, "offline");
  if (await recorded(response, entry)) {
    await sent(entry);
    await refreshClass(entry.user, entry.page);
    return "attended";
  }
  if ([400, 404, 409, 422].includes(response.status) && !response.redirected) {
    const reason = response.status === 422 ? reasonsOf(await response.text()) : "";
    await store("queue", "readwrite", (s) => s.put({ ...entry, state: "review", why: "", status: response.status, reason }));
    return "review";
  }
  return keepWaiting(entry, whyKept(response), response.status);
}

let replaying = null;

async function send(entry, token) {
  if (entry.kind === "attendance") return sendAttendance(entry, token);
  const response = await post(entry, token);
  if (!response) return keepWaiting(entry, "offline");
  if (await recorded(response, entry)) {
    await sent(entry);
    await refresh(entry.user, entry.token);
    return "sent";
  }
  if ((response.status === 409 || response.status === 422) && !response.redirected) {
    // The server's answer is the form with the volunteer's answers and what to fix: keep it to open.
    await put(entry.user, `/queue/review/${entry.id}`, await response.text());
    await store("queue", "readwrite", (s) => s.put({ ...entry, state: "review", why: "" }));
    return "review";
  }
  return keepWaiting(entry, whyKept(response), response.status);
}

async function runReplay(user) {
  const result = { sent: 0, attended: 0, review: 0, signin: false, offline: false };
  const entries = (await entriesOf(user)).filter((e) => e.state !== "review").sort((a, b) => a.id - b.id);
  if (entries.length) {
    let token = "";
    try {
      const answer = await timeout(fetch("/csrf", { credentials: "same-origin", cache: "no-store" }), PAGE_TIMEOUT_MS);
      token = answer.ok ? (await answer.json()).token : "";
    } catch (error) {
      token = "";
    }
    if (!token) {
      result.offline = true;
    } else {
      // In order: the first that cannot go now (no signal, a sign-in, an error) stops the rest.
      for (const entry of entries) {
        const outcome = await send(entry, token);
        if (outcome === "sent") result.sent += 1;
        else if (outcome === "attended") result.attended += 1;
        else if (outcome === "review") result.review += 1;
        else { result[outcome] = true; break; }
      }
    }
  }
  await broadcast();
  return { ...result, ...(await counts(user)) };
}

function replay(user) {
  if (!replaying) replaying = runReplay(user).finally(() => { replaying = null; });
  return replaying;
}

// Background Sync (where the browser has it): the browser wakes the worker when it has a connection.
// A replay that found no server is a failure, so the browser tries again later (by its own backoff).
self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil((async () => {
    const result = await replay(await storedUser());
    if (result.offline || result.server) throw new Error("the queue is still waiting");
  })());
});

// ---- Messages from the page scripts ------------------------------------------------------------

async function hello(user) {
  if (!user) return;
  await inTurn(() => adopt(user));
  if (!(await granted(user))) return;
  // What has expired goes (as stored() drops it), read from its headers: no page is unpacked here.
  // A bundle goes with its index entries (a bundle whose index was never written, its write cut
  // short, goes then too: checking for those here could race a download writing one).
  const cache = await caches.open(USER_CACHE + user);
  for (const request of await cache.keys()) {
    const at = Number((await cache.match(request))?.headers.get("x-phocap-stored"));
    if (Date.now() - at <= CONFIG.offlineDays * DAY_MS) continue;
    const bundle = new URL(request.url).pathname;
    if (bundle.startsWith(BUNDLE)) {
      const entries = await store("pages", "readonly", (s) => s.index("bundle").getAll(bundle));
      await store("pages", "readwrite", (s) => entries.forEach((entry) => s.delete([user, entry.url])));
    }
    await cache.delete(request);
  }
}

// Pages fetched at once when a village comes page by page (a server without parts). On a slow link
// each page waits out the round trip: a village of 750 households is ~1,500 pages, 252 s over 400 ms
// "Slow 3G" three at a time (tests/benchmarks/offline_download.py). Six is what Chromium opens to one
// server over HTTP/1.1.
const DOWNLOADS_AT_ONCE = 6;
// Parts fetched at once. A part is a few hundred pages in one answer (server/offline_parts.py): one
// brotli stream of pages nearly all of one template is ~10 times smaller than the pages one by one,
// and one round trip instead of hundreds. Two keep the link busy while the server draws the next part.
const PARTS_AT_ONCE = 2;
// A part that broke off (the link dropped, the server was busy) is asked again, alone, this many times.
const PART_TRIES = 3;
const PAGES_TYPE = "application/vnd.phocap.pages";

// A village taken offline: its parts, each split as it streams in and each page kept through `keep`
// (the same data-user check and stored-at time as a page fetched alone), progress reported per page.
// The pages no part brought (an older server has no parts: 404) come page by page. A page whose
// status inside its part was not 200 counts as failed, as does each page of a part that never came.
async function download(user, urls, parts, port) {
  const outcome = new Map(); // url -> kept (true) or failed (false)
  // A page no longer listed (a household added since the list) is kept, and not counted.
  const before = keptBytes;
  const report = () =>
    port.postMessage({ progress: Math.min(outcome.size, urls.length), total: urls.length, bytes: keptBytes - before });
  const results = await inTurns(parts || [], PARTS_AT_ONCE, (part) => downloadPart(user, part, outcome, report));
  if (results.every((result) => result === "done" || result === "missing")) {
    await pageByPage(user, urls.filter((url) => !outcome.has(url)), outcome, report);
  }
  const kept = urls.filter((url) => outcome.get(url) === true).length;
  return { kept, failed: urls.length - kept, total: urls.length };
}

// `work` on each item, `atOnce` at a time; the results in the items' order.
async function inTurns(items, atOnce, work) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  }
  await Promise.all(Array.from({ length: atOnce }, worker));
  return results;
}

// One part, asked again when it broke off: "done", "missing" (404: a server without parts, whose
// pages then come one by one) or "failed" (refused: signed out, out of reach; or broke off each time).
// A 429 (the server draws this user's other parts) is asked again after the pause it names
// (Retry-After), up to PART_WAITS times, and is not counted as a try.
async function downloadPart(user, part, outcome, report) {
  const PART_WAITS = 20;
  let waits = 0;
  for (let attempt = 1; attempt <= PART_TRIES; attempt += 1) {
    let response;
    try {
      response = await fetch(part, { credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      continue; // no answer: try again
    }
    if (response.status === 429 && waits < PART_WAITS) {
      waits += 1;
      attempt -= 1;
      const seconds = Number(response.headers.get("Retry-After")) || 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(seconds, 1), 30) * 1000));
      continue;
    }
    if (response.status === 404) return "missing";
    const type = response.headers.get("Content-Type") || "";
    // A redirect (to sign in) or a refusal will not change by asking again.
    if (response.redirected || (response.status < 500 && !(response.ok && type.startsWith(PAGES_TYPE)))) return "failed";
    if (!response.ok) continue;
    // The household pages are kept a bundle at a time: counted once their bundle is stored.
    const bundle = bundler(user, (urls, kept) => {
      for (const url of urls) outcome.set(url, kept);
      report();
    });
    try {
      for await (const { url, page } of pagesOf(response)) {
        const kept = await keep(new URL(url, location.origin), page, user, bundle);
        if (kept !== "bundled") {
          outcome.set(url, kept);
          report();
        }
      }
      await bundle.flush();
      return "done";
    } catch (error) {
      // broke off mid-way: the pages kept so far stay, the part comes again
      await bundle.flush();
    }
  }
  return "failed";
}

// The pages of a part as they stream in (server/offline_parts.py): a line of JSON (url, status,
// headers, length), then exactly `length` bytes of the page; each is a Response as its own GET answers.
async function* pagesOf(response) {
  const reader = response.body.getReader();
  const text = new TextDecoder();
  let buffer = new Uint8Array(0);
  let header = null;
  for (;;) {
    const end = header ? -1 : buffer.indexOf(10);
    if (end >= 0) {
      header = JSON.parse(text.decode(buffer.subarray(0, end)));
      buffer = buffer.subarray(end + 1);
    } else if (header && buffer.length >= header.length) {
      const page = new Response(buffer.slice(0, header.length), { status: header.status, headers: header.headers });
      yield { url: header.url, page };
      buffer = buffer.subarray(header.length);
      header = null;
    } else {
      const { done, value } = await reader.read();
      if (done) {
        if (header || buffer.length) throw new Error("part cut short");
        return;
      }
      buffer = joined(buffer, value);
    }
  }
}

function joined(first, second) {
  const both = new Uint8Array(first.length + second.length);
  both.set(first);
  both.set(second, first.length);
  return both;
}

// The pages one request each, DOWNLOADS_AT_ONCE at a time (a server without parts).
async function pageByPage(user, urls, outcome, report) {
  const bundle = bundler(user, (kept, ok) => {
    for (const url of kept) outcome.set(url, ok);
    report();
  });
  await inTurns(urls, DOWNLOADS_AT_ONCE, async (path) => {
    let kept = false;
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      kept = await keep(new URL(path, location.origin), response, user, bundle);
    } catch (error) {
      kept = false;
    }
    if (kept === "bundled") return;
    outcome.set(path, kept);
    report();
  });
  await bundle.flush();
}

// ---- A village made fresh without downloading it all again (docs/architecture.md §7) -------------

// The household pages a village's stored list links to (its rows: web/templates/village.html).
const ROW_LINK = /class="row-link" href="(\/h\/[^"?#]+)"/g;
const rowLinks = (page) => Array.from((page || "").matchAll(ROW_LINK), (found) => found[1]);
const linksKey = (user, village) => `links:${user}:${village}`;

// What a download or a refresh of the village left on the phone: the household pages its list then
// linked to (a page of the list opened online since is kept too, so the list stored is not always the
// one the pages came with).
async function noteVillage(user, village) {
  const links = rowLinks(await stored(user, `/villages/${village}`, false));
  await store("meta", "readwrite", (s) => s.put(links, linksKey(user, village)));
}

// The village a download's pages are of (its list is among them).
const villageOf = (urls) => ((urls || []).map((url) => url.match(/^\/villages\/(\d+)$/)).find(Boolean) || [])[1];

// The pages a refresh (`offline/changes`) names, fetched through its parts and kept as a download's
// (`download`, `keep`); the village's stored list patched by rows (`patchList`), or fetched whole when it
// cannot be; then the pages gone deleted: those the server names (archived, merged) and each
// household's page and visit form that the list linked to at the last download or refresh and links
// to no more (moved out, a new sticker), which the server cannot name. Nothing is deleted unless every
// page came.
async function refreshVillage(user, changes, port) {
  const { village, pages, parts, gone, list } = changes;
  const before = (await store("meta", "readonly", (s) => s.get(linksKey(user, village)))) || [];
  const result = await download(user, pages || [], parts || [], port);
  if (!result.failed && list && !(await patchList(user, village, changes))) {
    const whole = new Map();
    await pageByPage(user, [`/villages/${village}`], whole, () => {});
    if (!whole.get(`/villages/${village}`)) result.failed += 1;
  }
  if (result.failed) return result;
  const removed = new Set(gone || []);
  if (list) {
    await noteVillage(user, village);
    const after = new Set(await store("meta", "readonly", (s) => s.get(linksKey(user, village))));
    for (const link of before.filter((link) => !after.has(link))) {
      removed.add(link);
      removed.add(`${link}/visit`);
    }
  }
  await forget(user, [...removed]);
  return { ...result, removed: removed.size + (await forgetVillagesLost(user, changes.villages)) };
}

// The pages of each downloaded village that is no longer among the user's (`villages`, the ranges a
// refresh gives: a volunteer moved to another village, an account's villages changed) deleted, as the
// user may no longer see them: its list, and the household pages and visit forms it linked to. The
// number of pages deleted.
async function forgetVillagesLost(user, villages) {
  if (typeof villages !== "string") return 0;
  const theirs = idsOf(villages);
  const prefix = linksKey(user, "");
  const held = ((await store("meta", "readonly", (s) => s.getAllKeys())) || [])
    .filter((key) => typeof key === "string" && key.startsWith(prefix) && !theirs.has(key.slice(prefix.length)));
  let removed = 0;
  for (const key of held) {
    const links = (await store("meta", "readonly", (s) => s.get(key))) || [];
    const urls = [`/villages/${key.slice(prefix.length)}`, ...links, ...links.map((link) => `${link}/visit`)];
    await forget(user, urls);
    await store("meta", "readwrite", (s) => s.delete(key));
    removed += urls.length;
  }
  return removed;
}

// A row of a village's list (web/templates/_village_row.html): one household, named by its id.
const LIST_ROW = /<li data-id="(\d+)"[\s\S]*?<\/li>/g;
const LIST_HEAD = /<!--list-head-->[\s\S]*?<!--\/list-head-->/;
const LIST_ROWS = /(<ul class="list households"[^>]*>)([\s\S]*?)(\s*<\/ul>)/;

// The ids of `ranges` ("3-40,52", surveys/reporting/offline.py id_ranges).
function idsOf(ranges) {
  const ids = new Set();
  for (const span of ranges.split(",").filter(Boolean)) {
    const [first, last = first] = span.split("-").map(Number);
    for (let id = first; id <= last; id += 1) ids.add(String(id));
  }
  return ids;
}

// The village's stored list patched as the refresh says (docs/architecture.md §7): its head (the
// filters' counts) is the one the refresh drew, a row it brings replaces the row of the same household
// or joins the list, the rows of households the list no longer holds (`ids`, when that set changed) go,
// and the rows stand in the order to visit by the keys each carries (data-rank, data-by-name), as the server draws
// them. Whether it could: not without a stored list, nor when a household the list holds now has no
// row (one that came into the village unchanged since): the list then comes whole.
async function patchList(user, village, { head, rows, ids }) {
  const key = `/villages/${village}`;
  const page = await stored(user, key, false);
  const list = page && page.match(LIST_ROWS);
  if (!list || !LIST_HEAD.test(page) || !head) return false;
  const byId = new Map(Array.from(list[2].matchAll(LIST_ROW), ([row, id]) => [id, row]));
  for (const [row, id] of (rows || "").matchAll(LIST_ROW)) byId.set(id, row);
  if (ids !== null && ids !== undefined) {
    const listed = idsOf(ids);
    for (const id of byId.keys()) if (!listed.has(id)) byId.delete(id);
    if (byId.size !== listed.size) return false;
  }
  const attribute = (row, name) => (row.match(new RegExp(` data-${name}="([^"]*)"`)) || [])[1] || "";
  const visitKey = (row) => `${attribute(row, "rank")} ${attribute(row, "by-name")}`;
  const ordered = [...byId.values()].sort((a, b) => (visitKey(a) < visitKey(b) ? -1 : visitKey(a) > visitKey(b) ? 1 : 0));
  const patched = page
    .replace(LIST_HEAD, () => head)
    .replace(LIST_ROWS, (all, open, old, close) => `${open}${ordered.map((row) => `\n${row}`).join("")}${close}`);
  await put(user, key, patched);
  return true;
}

// Delete these pages from the user's store: kept alone, or in a bundle (written again without them).
async function forget(user, urls) {
  if (!user || !urls.length || !(await caches.has(USER_CACHE + user))) return;
  const cache = await caches.open(USER_CACHE + user);
  await Promise.all(urls.map((url) => cache.delete(url)));
  await unbundle(user, urls);
}

async function clearAll() {
  lastBundle = { key: "", read: null };
  for (const name of await caches.keys()) {
    if (name.startsWith(USER_CACHE)) await caches.delete(name);
  }
  if (database) (await database).close();
  database = null;
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase("phocap");
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  return {};
}

async function answer(message, port) {
  if (message.type === "hello") await hello(message.user);
  const user = message.user || (await storedUser());
  switch (message.type) {
    case "replay":
      return replay(user);
    case "list":
      return { entries: (await entriesOf(user)).map(({ body, ...entry }) => entry), parked: await parked(user) };
    case "discard":
      // Only the user's own: another account's waiting items are theirs to send or discard.
      if ((await store("queue", "readonly", (s) => s.get(message.id)))?.user !== user) return counts(user);
      await store("queue", "readwrite", (s) => s.delete(message.id));
      await (await caches.open(USER_CACHE + user)).delete(`/queue/review/${message.id}`);
      await broadcast();
      return counts(user);
    case "download": {
      const result = await download(user, message.urls, message.parts, port);
      if (!result.failed && villageOf(message.urls)) await noteVillage(user, villageOf(message.urls));
      return result;
    }
    case "refresh":
      return refreshVillage(user, message, port);
    case "signout": {
      const stored = (await caches.has(USER_CACHE + user)) && (await (await caches.open(USER_CACHE + user)).keys()).length;
      return { ...(await counts(user)), parked: await parked(user), stored: stored || 0 };
    }
    case "clear":
      return inTurn(clearAll); // after the pages sent before sign-out were kept: nothing stays
    default:
      return counts(user);
  }
}

self.addEventListener("message", (event) => {
  const port = event.ports[0];
  const work = answer(event.data || {}, port).then(
    (result) => port && port.postMessage({ done: true, ...result }),
    (error) => port && port.postMessage({ done: true, error: String(error) }),
  );
  event.waitUntil(work);
});
