/* The public application page: POST /api/v1/expert-applications with the form as JSON (no sign-in;
   the gateway limits calls per address), the number and receipt code shown once on success; and
   POST /api/v1/expert-applications/status with both to see the outcome. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words, S = sortesApplications;
  var form = document.getElementById("application-form");
  var statusForm = document.getElementById("status-form");

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var body = S.personOf(form);
    var answer = await A.send(form, "POST", "/api/v1/expert-applications", body);
    if (!answer.ok) return;
    document.getElementById("receipt-text").textContent = A.format(w.submitted, answer.body);
    document.getElementById("application-receipt").classList.remove("hidden");
    statusForm.elements.number.value = answer.body.number;
    form.reset();
    form.classList.add("hidden");
  });

  statusForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var result = document.getElementById("status-result");
    result.classList.add("hidden");
    var answer = await A.send(statusForm, "POST", "/api/v1/expert-applications/status", {
      number: A.value(statusForm, "number").toUpperCase(), receipt_code: A.value(statusForm, "receipt_code")});
    if (!answer.ok) return;
    var seen = answer.body;
    document.getElementById("sr-name").textContent = seen.name;
    document.getElementById("sr-status").textContent = w.application_statuses[seen.status] || seen.status;
    document.getElementById("sr-decided").textContent = seen.decided_on || "—";
    document.getElementById("sr-reason").textContent = seen.reason || "—";
    document.getElementById("sr-expert").textContent = seen.expert_code || "—";
    result.classList.remove("hidden");
  });
})();
