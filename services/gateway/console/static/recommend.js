/* A unit's recommendation: POST /api/v1/expert-recommendations with the form as JSON (the same body
   and checks as a person's own application), and GET /api/v1/expert-recommendations for the unit's
   recommendations with their outcome. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words, S = sortesApplications;
  var form = document.getElementById("application-form");
  var body = document.querySelector("#recommendation-table tbody");

  async function load() {
    var status = document.getElementById("recommendations-status");
    var answer = await A.call("GET", "/api/v1/expert-recommendations?page_size=200");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    body.textContent = "";
    answer.body.items.slice().reverse().forEach(function (item) {
      var row = document.createElement("tr");
      row.dataset.number = item.number;
      A.cell(row, item.number, "mono");
      A.cell(row, item.name);
      A.cell(row, item.unit_name);
      A.cell(row, A.localTime(item.submitted_at));
      A.cell(row, w.application_statuses[item.status] || item.status);
      A.cell(row, item.status === "rejected" ? item.decision_reason : "");
      A.cell(row, item.expert_code || "", "mono");
      body.appendChild(row);
    });
    status.textContent = answer.body.items.length ? "" : w.none;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = document.getElementById("recommend-status");
    var request = S.personOf(form);
    var answer = await A.send(form, "POST", "/api/v1/expert-recommendations", request);
    if (!answer.ok) { note.textContent = ""; return; }
    note.textContent = A.format(w.submitted, {number: answer.body.number});
    form.reset();
    load();
  });

  load();
})();
