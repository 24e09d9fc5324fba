// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // After htmx swaps in a form with errors, move focus to the error summary so a
  // screen reader reads it and a keyboard user starts from there.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target.querySelector
      ? event.detail.target.querySelector("#error-summary")
      : null;
    if (!summary && event.detail.target.id === "error-summary") {
      summary = event.detail.target;
    }
    if (!summary) {
      summary = document.getElementById("error-summary");
      if (summary && !event.detail.target.contains(summary)) summary = null;
    }
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
