// Refresh every element with data-live="URL" from that URL every few seconds, without reloading.
(function () {
  const PERIOD_MS = 5000;
  function refresh(element) {
    fetch(element.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { element.innerHTML = html; } })
      .catch(function () { /* keep the figures shown; try again next period */ });
  }
  document.querySelectorAll("[data-live]").forEach(function (element) {
    setInterval(function () { refresh(element); }, PERIOD_MS);
  });
})();

// Links with data-action="print" or "back" (no inline script: the Content-Security-Policy
// forbids it).
document.addEventListener("click", function (event) {
  const link = event.target.closest ? event.target.closest("[data-action]") : null;
  if (link === null) { return; }
  if (link.dataset.action === "print") { event.preventDefault(); window.print(); }
  if (link.dataset.action === "back" && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
