// "Download to work without a signal": the village's pages (its list, each household and its visit
// form, as the server draws them, a few hundred to an answer: its parts) go into this user's store on
// the phone, with a progress bar and the time of the last download. "Update" then brings only what
// changed since (the cursor the download or the last update gave: docs/architecture.md §7). Loaded by
// offline.js where the button is; `phone` is what it shares.
//
// Room on a cheap phone (issue 23 item 9): the first download asks the browser to keep the pages for
// sure (navigator.storage.persist()) and says so when it will not; before a download, and once its
// first pages show what a page takes, the box says when the room left (navigator.storage.estimate())
// is less than the village needs. A first tap that would not fit only warns; a second downloads anyway.

// What a page takes stored (a household's page or visit form in a bundle of its kind, web/sw.js) until
// this phone has kept some: ~1.3 KB of the phone's storage in a generated commune, index included
// (tests/benchmarks/commune_offline.py); the worker's count replaces it.
const PAGE_BYTES = 1500;
// Pages kept before the room left is weighed against the rest: the worker counts a bundle's pages
// once it is stored, 32 of a kind at a time, so this is about a bundle of each kind (or a small village).
const FIRST_PAGES = 60;

export default function villageDownloads(phone) {
  const key = (village) => `phocap:${phone.user}:village:${village}`;
  // Where the copy stands for the server (an opaque cursor), and when it was last updated.
  const cursorKey = (village) => `${key(village)}:cursor`;
  const updatedKey = (village) => `${key(village)}:updated`;
  const pageBytesKey = `phocap:${phone.user}:page-bytes`;
  const megabytes = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", {
    maximumSignificantDigits: 2,
  });
  const mb = (bytes) => megabytes.format(Math.max(bytes, 0) / 1e6);

  function warn(box, text, values) {
    const room = box.querySelector(".offline-room");
    room.textContent = phone.fill(text, values);
    room.hidden = false;
  }

  // The bytes the phone may still store for this site (Infinity where the browser does not say).
  async function roomLeft() {
    try {
      const { usage = 0, quota = 0 } = await navigator.storage.estimate();
      return quota ? quota - usage : Infinity;
    } catch (error) {
      return Infinity;
    }
  }

  // The browser may delete a site's storage when the phone runs short (best effort) unless the site's
  // is persistent: asked at the first download (Chrome grants it by its own signals, Firefox asks).
  async function keepForSure(box) {
    try {
      if (!navigator.storage?.persist || (await navigator.storage.persisted())) return;
      if (!(await navigator.storage.persist())) warn(box, box.dataset.refused);
    } catch (error) {
      warn(box, box.dataset.refused);
    }
  }

  // Whether this village is on the phone: never downloaded, downloaded at a time (and updated since),
  // or downloaded so long ago that the worker no longer shows its pages (OFFLINE_DAYS): then the
  // volunteer downloads it again. An update brings the pages that changed; the others keep the age of
  // the download, so the days run from the download.
  function showDownloaded(box) {
    const village = box.dataset.village;
    const at = Number(localStorage.getItem(key(village)));
    const updated = Number(localStorage.getItem(updatedKey(village)));
    const expired = at && Date.now() - at > Number(box.dataset.days) * 24 * 60 * 60 * 1000;
    const text = !at ? box.dataset.never : expired ? box.dataset.expired : updated > at ? box.dataset.updated : box.dataset.downloaded;
    const when = box.querySelector(".offline-when");
    const time = (moment) => (moment ? phone.dateTime.format(new Date(moment)) : "");
    when.textContent = phone.fill(text, { time: time(at), updated: time(updated) });
    when.classList.toggle("expired", Boolean(expired));
    box.querySelector(".offline-update").hidden = !(at && !expired && localStorage.getItem(cursorKey(village)) && navigator.onLine);
  }

  function start(box) {
    for (const button of box.querySelectorAll("button")) button.disabled = true;
    const bar = box.querySelector("progress");
    bar.value = 0;
    return bar;
  }

  function end(box) {
    for (const button of box.querySelectorAll("button")) button.disabled = false;
  }

  async function download(box) {
    const bar = start(box);
    const when = box.querySelector(".offline-when");
    let done = 0;
    let total = 0;
    try {
      const answer = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!answer.ok || answer.redirected) throw new Error(String(answer.status));
      const { urls, parts, cursor } = await answer.json();
      total = urls.length;
      const room = box.querySelector(".offline-room");
      const free = await roomLeft();
      const need = total * (Number(localStorage.getItem(pageBytesKey)) || PAGE_BYTES);
      if (need > free && !box.dataset.warned) {
        box.dataset.warned = "1";
        warn(box, box.dataset.short, { need: mb(need), free: mb(free) });
        return;
      }
      room.hidden = true;
      await keepForSure(box);
      let weighed = false;
      bar.max = total;
      bar.hidden = false;
      when.textContent = phone.fill(box.dataset.progress, { done: 0, total });
      let kept = { pages: 0, bytes: 0 };
      const result = await phone.ask({ type: "download", urls, parts }, ({ progress, bytes }) => {
        bar.value = progress;
        when.textContent = phone.fill(box.dataset.progress, { done: progress, total });
        kept = { pages: progress, bytes };
        if (!weighed && bytes && (progress >= FIRST_PAGES || progress === total)) {
          weighed = true;
          localStorage.setItem(pageBytesKey, String(Math.ceil(bytes / progress)));
          const rest = ((total - progress) * bytes) / progress;
          roomLeft().then((left) => rest > left && warn(box, box.dataset.runningOut, { need: mb(rest), free: mb(left) }));
        }
      });
      if (kept.bytes) localStorage.setItem(pageBytesKey, String(Math.ceil(kept.bytes / kept.pages)));
      done = result.kept;
      if (result.failed) throw new Error("incomplete");
      localStorage.setItem(key(box.dataset.village), String(Date.now()));
      localStorage.removeItem(updatedKey(box.dataset.village));
      if (cursor) localStorage.setItem(cursorKey(box.dataset.village), cursor);
      showDownloaded(box);
    } catch (error) {
      when.textContent = phone.fill(box.dataset.failed, { done, total });
    } finally {
      end(box);
    }
  }

  // The pages changed since the cursor, through the same parts as a download, and the pages gone
  // deleted (web/sw.js refreshVillage); the cursor moves on only when all of it went through.
  async function update(box) {
    const village = box.dataset.village;
    const bar = start(box);
    const when = box.querySelector(".offline-when");
    try {
      const since = encodeURIComponent(localStorage.getItem(cursorKey(village)) || "");
      const answer = await fetch(`${box.dataset.changes}?since=${since}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (answer.status === 400) {
        localStorage.removeItem(cursorKey(village));
        when.textContent = box.dataset.updateStale;
        return;
      }
      if (!answer.ok || answer.redirected) throw new Error(String(answer.status));
      const changes = await answer.json();
      const total = changes.pages.length;
      bar.max = Math.max(total, 1);
      bar.hidden = false;
      when.textContent = phone.fill(box.dataset.updating, { done: 0, total });
      const result = await phone.ask({ type: "refresh", village, ...changes }, ({ progress }) => {
        bar.value = progress;
        when.textContent = phone.fill(box.dataset.updating, { done: progress, total });
      });
      if (result.failed) throw new Error("incomplete");
      localStorage.setItem(cursorKey(village), changes.cursor);
      localStorage.setItem(updatedKey(village), String(Date.now()));
      showDownloaded(box);
    } catch (error) {
      when.textContent = box.dataset.updateFailed;
    } finally {
      end(box);
    }
  }

  for (const box of document.querySelectorAll(".offline-download")) {
    box.hidden = false;
    showDownloaded(box);
    box.querySelector(".offline-get").addEventListener("click", () => download(box));
    box.querySelector(".offline-update").addEventListener("click", () => update(box));
    for (const change of ["online", "offline"]) addEventListener(change, () => showDownloaded(box));
  }
}
