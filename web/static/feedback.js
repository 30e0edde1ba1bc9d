// Every htmx request that fails says so where the volunteer is looking (next to the button or link
// that sent it), in the page's language: no tap ends with nothing happening. Buttons show they are
// working while a request is in flight (htmx's `htmx-request` class, and `hx-disabled-elt` on <body>).
// The texts come translated from the page (#texts, data-*).

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
  // A form's message goes just above its submit button; a link's or a field's just after it.
  const form = elt.closest("form");
  const button = form?.querySelector('[type="submit"]');
  if (button) button.before(shown);
  else if (elt.isConnected) elt.after(shown);
  else document.getElementById("main")?.prepend(shown);
}

document.addEventListener("htmx:beforeRequest", clear);
document.addEventListener("htmx:sendError", (event) => fail(event, TEXTS.network));
document.addEventListener("htmx:timeout", (event) => fail(event, TEXTS.timeout));
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  fail(event, status >= 500 ? TEXTS.server : TEXTS.client);
});
