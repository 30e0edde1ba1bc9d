// A class page: the attendance kept on this phone for this class and not sent yet, from the worker's
// queue as /queue lists it, shown as pending: the count line ("2 attendees · 3 waiting to send") and
// each person at the end of the list, marked "saved on the phone". When some have left the queue (sent,
// refused, discarded) the page's real list is drawn again from the server. Loaded by offline.js on a
// class page; `phone` is what offline.js shares. Texts: #attendance-pending data-*.

export default function pendingAttendance(phone) {
  const texts = document.getElementById("attendance-pending").dataset;
  let shown = 0;

  // The server's list in place of the page's (a signal is back); with none, the page stays as it is.
  async function redraw() {
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("attendance");
      const section = document.getElementById("attendance");
      if (!fresh || !section) return;
      section.replaceChildren(...document.adoptNode(fresh).childNodes);
      window.htmx?.process(section);
    } catch (error) {
      // no signal
    }
  }

  function draw(pending) {
    const section = document.getElementById("attendance");
    if (!section) return;
    section.querySelectorAll(".pending").forEach((element) => element.remove());
    if (!pending.length) return;
    const count = document.createElement("span");
    count.className = "pending";
    count.textContent = ` · ${phone.fill(texts.waiting, { n: pending.length })}`;
    section.querySelector("h2")?.append(count);
    const list = section.querySelector("ol.attendees");
    for (const entry of pending) {
      const li = document.createElement("li");
      li.className = "pending";
      li.dataset.state = entry.state;
      const who = document.createElement("strong");
      who.textContent = entry.code;
      const mark = document.createElement("span");
      mark.className = "small muted";
      mark.textContent = texts.saved;
      li.append(who, document.createElement("br"), mark);
      list?.append(li);
    }
  }

  // `replayed`: a replay's result, when one just ended (it may have sent them before the page counted).
  async function list(replayed) {
    const { entries = [] } = await phone.ask({ type: "list" });
    const pending = entries
      .filter((e) => e.kind === "attendance" && e.page === texts.page && e.state !== "review")
      .sort((a, b) => a.id - b.id);
    if (pending.length < shown || replayed?.attended) await redraw();
    shown = pending.length;
    draw(pending);
  }

  // One at a time: the worker's count, a replay's end and htmx's swap often come together.
  let turn = Promise.resolve();
  const relist = (replayed) => (turn = turn.then(() => list(replayed), () => list(replayed)));
  // An attendance added (sent, or kept by the worker) redraws the section: its pending ones go back in.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target?.id === "attendance") relist();
  });
  relist();
  return relist;
}
