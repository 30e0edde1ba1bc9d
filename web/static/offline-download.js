// "Download to work without a signal": the village's pages (its list, each household and its visit
// form, as the server draws them, a few hundred to an answer: its parts) go into this user's store on
// the phone, with a progress bar and the time of the last download. Loaded by offline.js where the
// button is; `phone` is what it shares.

export default function villageDownloads(phone) {
  const key = (village) => `phocap:${phone.user}:village:${village}`;

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
      bar.max = total;
      bar.value = 0;
      bar.hidden = false;
      when.textContent = phone.fill(box.dataset.progress, { done: 0, total });
      const result = await phone.ask({ type: "download", urls, parts }, ({ progress }) => {
        bar.value = progress;
        when.textContent = phone.fill(box.dataset.progress, { done: progress, total });
      });
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
