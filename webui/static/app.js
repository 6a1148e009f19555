// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // The language menu switches as soon as a language is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Task lists refresh themselves (only the table, and not while a link has focus).
  document.querySelectorAll("[data-refresh-url]").forEach(function (box) {
    var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
    window.setInterval(function () {
      if (document.hidden || box.contains(document.activeElement)) { return; }
      fetch(box.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .catch(function () { /* keep the last list; the next round tries again */ });
    }, seconds * 1000);
  });
})();
