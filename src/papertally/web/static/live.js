// Behaviour of the app's pages (no inline script: the Content-Security-Policy forbids it).
(function () {
  const PERIOD_MS = 5000;

  // Wide tables not already in a scroll box get one, so they scroll inside it on a phone and
  // never widen the page; the box is focusable and named, so keyboard and screen-reader users
  // can scroll it too (WCAG 1.4.10, 2.1.1).
  function wrapTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) { return; }
      const box = document.createElement("div");
      box.className = "table-scroll";
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      box.setAttribute("aria-label", tableName(table));
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  function tableName(table) {
    if (table.caption && table.caption.textContent.trim()) { return table.caption.textContent.trim(); }
    let node = table.previousElementSibling;
    while (node) {
      if (/^H[1-6]$/.test(node.tagName)) { return node.textContent.trim(); }
      node = node.previousElementSibling;
    }
    const heading = document.querySelector("main h1");
    return heading ? heading.textContent.trim() + " (table)" : "Table";
  }

  // The auto-refreshing figures: replaced quietly; a short summary of what changed goes to the
  // polite live region (#live-status), never the whole tables (WCAG 4.1.3 status messages).
  const status = document.getElementById("live-status");
  function summary(element) {
    const parts = [];
    element.querySelectorAll(".figure").forEach(function (figure) {
      const value = figure.querySelector(".value");
      const label = figure.querySelector(".label");
      if (value && label) { parts.push(value.textContent.trim() + " " + label.textContent.trim()); }
    });
    return parts.join("; ");
  }
  function refresh(element) {
    fetch(element.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        const before = summary(element);
        element.setAttribute("aria-busy", "true");
        element.innerHTML = html;
        wrapTables(element);
        element.removeAttribute("aria-busy");
        const after = summary(element);
        if (status && after !== before) { status.textContent = "Figures updated: " + after; }
      })
      .catch(function () { /* keep the figures shown; try again next period */ });
  }

  // A search box with data-filter="SELECTOR" hides the rows that do not contain what is typed.
  function filterRows(input) {
    const wanted = input.value.trim().toLowerCase();
    let shown = 0;
    document.querySelectorAll(input.dataset.filter).forEach(function (row) {
      const match = wanted === "" || row.textContent.toLowerCase().indexOf(wanted) >= 0;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (status) { status.textContent = shown + " shown"; }
  }

  wrapTables(document);
  document.querySelectorAll("[data-live]").forEach(function (element) {
    setInterval(function () { refresh(element); }, PERIOD_MS);
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.addEventListener("input", function () { filterRows(input); });
  });
})();

// Links with data-action="print" or "back".
document.addEventListener("click", function (event) {
  const link = event.target.closest ? event.target.closest("[data-action]") : null;
  if (link === null) { return; }
  if (link.dataset.action === "print") { event.preventDefault(); window.print(); }
  if (link.dataset.action === "back" && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
