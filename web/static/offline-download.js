// "Download to work without a signal": the village's pages (its list, each household and its visit
// form, as the server draws them, a few hundred to an answer: its parts) go into this user's store on
// the phone, with a progress bar and the time of the last download. Loaded by offline.js where the
// button is; `phone` is what it shares.
//
// Room on a cheap phone (issue 23 item 9): the first download asks the browser to keep the pages for
// sure (navigator.storage.persist()) and says so when it will not; before a download, and once its
// first pages show what a page takes, the box says when the room left (navigator.storage.estimate())
// is less than the village needs. A first tap that would not fit only warns; a second downloads anyway.

// What a page takes stored (gzipped, web/sw.js) until this phone has kept one: a generated village's
// pages are 4-5 KB each (tests/benchmarks/village_storage.py); the worker's count replaces it.
const PAGE_BYTES = 5000;
// Pages kept before the room left is weighed against the rest (the first part, or a small village).
const FIRST_PAGES = 100;

export default function villageDownloads(phone) {
  const key = (village) => `phocap:${phone.user}:village:${village}`;
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

  // Whether this village is on the phone: never downloaded, downloaded at a time, or downloaded so long
  // ago that the worker no longer shows its pages (OFFLINE_DAYS): then the volunteer downloads it again.
  function showDownloaded(box) {
    const at = Number(localStorage.getItem(key(box.dataset.village)));
    const expired = at && Date.now() - at > Number(box.dataset.days) * 24 * 60 * 60 * 1000;
    const text = !at ? box.dataset.never : expired ? box.dataset.expired : box.dataset.downloaded;
    const when = box.querySelector(".offline-when");
    when.textContent = phone.fill(text, { time: at ? phone.dateTime.format(new Date(at)) : "" });
    when.classList.toggle("expired", Boolean(expired));
  }

  async function download(box) {
    const button = box.querySelector("button");
    const bar = box.querySelector("progress");
    const when = box.querySelector(".offline-when");
    button.disabled = true;
    let done = 0;
    let total = 0;
    try {
      const answer = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!answer.ok || answer.redirected) throw new Error(String(answer.status));
      const { urls, parts } = await answer.json();
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
      bar.value = 0;
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
      showDownloaded(box);
    } catch (error) {
      when.textContent = phone.fill(box.dataset.failed, { done, total });
    } finally {
      button.disabled = false;
    }
  }

  for (const box of document.querySelectorAll(".offline-download")) {
    box.hidden = false;
    showDownloaded(box);
    box.querySelector("button").addEventListener("click", () => download(box));
  }
}
