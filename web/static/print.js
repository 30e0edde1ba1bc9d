// Print buttons: <button data-print hidden> is shown where scripts run, and opens the browser's print.
for (const button of document.querySelectorAll("button[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
