// Follow an upload being read: poll the element's data-upload-status URL (JSON: state, message,
// finished, next) every two seconds and show its state and message; once done, go on to `next`.
(function () {
  const PERIOD_MS = 2000;
  const section = document.querySelector("[data-upload-status]");
  if (section === null) { return; }
  const state = document.getElementById("upload-state");
  const message = document.getElementById("upload-message");
  function poll() {
    fetch(section.dataset.uploadStatus, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job === null) { setTimeout(poll, PERIOD_MS); return; }
        state.textContent = job.state;
        if (job.message) { message.textContent = job.message; }
        if (job.next) { window.location.assign(job.next); return; }
        if (!job.finished) { setTimeout(poll, PERIOD_MS); }
      })
      .catch(function () { setTimeout(poll, PERIOD_MS); });
  }
  setTimeout(poll, PERIOD_MS);
})();
