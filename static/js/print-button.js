// Shows the summary's Print button and wires it up; without JavaScript the page keeps
// the hint to use the browser's own Print command instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  for (const hint of document.querySelectorAll("[data-print-hint]")) {
    hint.hidden = true;
  }
});
