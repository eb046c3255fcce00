/* The expert's own changes: GET /api/v1/experts/me shows the entry, POST
   /api/v1/experts/me/change-requests proposes what is filled in (the fields only when chosen), and
   GET /api/v1/experts/me/change-requests lists the requests with their outcome and the reviewer's note. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words, S = sortesApplications;
  var form = document.getElementById("change-form");
  var body = document.querySelector("#my-requests tbody");
  var names = {};

  function text(id, value) { document.getElementById(id).textContent = value || "—"; }

  function describe(changes) {
    return Object.keys(w.change_labels).filter(function (key) {
      return changes[key] !== null && changes[key] !== undefined;
    }).map(function (key) {
      return w.change_labels[key] + "：" + (key === "fields" ? S.fieldList(changes[key], w.primary_mark, names) : changes[key]);
    }).join("；");
  }

  async function loadRequests() {
    var answer = await A.call("GET", "/api/v1/experts/me/change-requests");
    body.textContent = "";
    if (!answer.ok) return;
    answer.body.items.slice().reverse().forEach(function (item) {
      var row = document.createElement("tr");
      row.dataset.number = item.number;
      A.cell(row, item.number, "mono");
      A.cell(row, describe(item.changes));
      A.cell(row, w.application_statuses[item.status] || item.status);
      A.cell(row, item.decision_reason || "");
      body.appendChild(row);
    });
    if (!answer.body.items.length) { var row = body.insertRow(); A.cell(row, w.none).colSpan = 4; }
  }

  async function load() {
    var status = document.getElementById("my-load-status");
    var answers = await Promise.all([A.call("GET", "/api/v1/experts/me"), A.call("GET", "/api/v1/fields")]);
    if (!answers[0].ok) {
      status.textContent = answers[0].status === 404 ? w.not_linked : w.load_failed + A.problemText(answers[0]);
      return;
    }
    var me = answers[0].body;
    if (answers[1].ok) names = S.fieldNames(answers[1].body);
    text("now-name", me.code + " " + me.name);
    text("now-unit", me.unit_name);
    text("now-title", me.title);
    text("now-fields", S.fieldList(me.fields, w.primary_mark, names));
    if (answers[1].ok) S.fillFieldOptions(form, answers[1].body, w);
    status.textContent = "";
    document.getElementById("my-page").classList.remove("hidden");
    loadRequests();
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = document.getElementById("change-status");
    var request = {};
    ["phone", "title", "unit_name", "left_on"].forEach(function (name) {
      var value = A.value(form, name);
      if (value) request[name] = value;
    });
    var uscc = A.value(form, "unit_uscc").toUpperCase();
    if (uscc) request.unit_uscc = uscc;
    var fields = S.chosenFields(form);
    if (fields.length) request.fields = fields;
    var answer = await A.send(form, "POST", "/api/v1/experts/me/change-requests", request);
    if (!answer.ok) { note.textContent = ""; return; }
    note.textContent = A.format(w.submitted, {number: answer.body.number});
    form.reset();
    loadRequests();
  });

  load();
})();
