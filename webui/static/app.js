// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // The language menu switches as soon as a language is chosen; the replay slider
  // shows its event as soon as it is let go (its "Tampilkan" button does the same without us).
  document.querySelectorAll("[data-autosubmit]").forEach(function (control) {
    control.addEventListener("change", function () { control.form.submit(); });
  });
  // A slider's number follows it while it moves.
  document.querySelectorAll("input[data-output]").forEach(function (input) {
    var output = document.getElementById(input.getAttribute("data-output"));
    if (!output) { return; }
    input.addEventListener("input", function () { output.textContent = input.value; });
  });
  // Task lists refresh themselves: only the table, only when it changed, never
  // while a link in it has focus; a short note tells screen readers it changed.
  document.querySelectorAll("[data-refresh-url]").forEach(function (box) {
    var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
    var status = document.getElementById(box.getAttribute("data-status"));
    var timer = window.setInterval(function () {
      if (document.hidden || box.contains(document.activeElement)) { return; }
      fetch(box.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || !r.ok) {  // logged out meanwhile: stop, keep the last list
            window.clearInterval(timer);
            return null;
          }
          return r.text();
        })
        .then(function (html) {
          if (html === null || html.trim() === box.innerHTML.trim()) { return; }
          box.innerHTML = html;
          if (status) { status.textContent = status.getAttribute("data-updated"); }
        })
        .catch(function () { /* keep the last list; the next round tries again */ });
    }, seconds * 1000);
  });
})();
