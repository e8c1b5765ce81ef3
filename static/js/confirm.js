// A form with data-confirm asks before it is sent, naming what is still open (e.g. "Present
// to patient" with warnings). Without JavaScript the form sends at once; the open points are
// shown on the page above the button either way.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
