/* The conflict-check form: the bidders (one USCC a line) go to the API with the session cookie and
   CSRF token; a problem's field errors are shown next to the field, a result opens its page. */
"use strict";

(function () {
  var form = document.getElementById("conflict-check");
  if (!form) return;
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = document.getElementById("check-status");
    var error = form.querySelector('[data-error-for="bidders"]');
    error.textContent = "";
    var bidders = form.elements.bidders.value.split(/\s+/).map(function (s) { return s.trim().toUpperCase(); })
      .filter(function (s) { return s.length > 0; });
    status.textContent = form.dataset.checking;
    var answer = await sortesConsole.api("POST", form.dataset.path, {bidders: bidders});
    if (answer.ok) {
      window.location.assign("/procurement/conflict-checks/" + encodeURIComponent(answer.body.id));
      return;
    }
    var problem = answer.body || {};
    var messages = (problem.errors || []).filter(function (e) { return String(e.field).indexOf("bidders") === 0; })
      .map(function (e) { return e.field + "：" + e.message; });
    if (messages.length) error.textContent = messages.join("；");
    status.textContent = form.dataset.failed + (problem.detail || problem.title || "HTTP " + answer.status);
  });
})();
