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
