// A failed htmx request says so next to what sent it (texts: #texts data-*); a form's submit
// buttons are disabled while its request is in flight (and show it: app.css, .htmx-request).

const TEXTS = document.getElementById("texts")?.dataset || {};
let shown = null;

function clear() {
  shown?.remove();
  shown = null;
}

function fail(event, text) {
  clear();
  const elt = event.detail.elt;
  shown = document.createElement("p");
  shown.className = "error request-failed";
  shown.setAttribute("role", "alert");
  shown.textContent = text;
  const form = elt.closest("form");
  const button = form?.querySelector('[type="submit"]');
  if (button) button.before(shown);
  else if (elt.isConnected) elt.after(shown);
  else document.getElementById("main")?.prepend(shown);
}

const busy = new Map();

document.addEventListener("htmx:beforeRequest", (event) => {
  clear();
  const form = event.detail.elt.closest("form");
  const buttons = [...(form?.querySelectorAll('[type="submit"]:not(:disabled)') || [])];
  buttons.forEach((button) => { button.disabled = true; });
  busy.set(event.detail.xhr, buttons);
});
document.addEventListener("htmx:afterRequest", (event) => {
  (busy.get(event.detail.xhr) || []).forEach((button) => { button.disabled = false; });
  busy.delete(event.detail.xhr);
});
document.addEventListener("htmx:sendError", (event) => fail(event, TEXTS.network));
document.addEventListener("htmx:timeout", (event) => fail(event, TEXTS.timeout));
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  fail(event, status >= 500 ? TEXTS.server : TEXTS.client);
});
