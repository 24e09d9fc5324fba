// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // After htmx swaps in a form with errors, move focus to the error summary so a
  // screen reader reads it and a keyboard user starts from there. The event fires
  // on what htmx swapped in; with hx-swap="outerHTML", event.detail.target is the
  // old element, already out of the document.
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.target;
    var summary = swapped.id === "error-summary"
      ? swapped
      : swapped.querySelector && swapped.querySelector("#error-summary");
    if (summary) summary.focus();
  });

  // An htmx request that failed (400, 413, 429, 500…): show the error page's
  // message in place of the page content rather than failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var incoming = doc.querySelector("main");
    var main = document.querySelector("main");
    if (incoming && main) {
      main.innerHTML = incoming.innerHTML;
      main.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
