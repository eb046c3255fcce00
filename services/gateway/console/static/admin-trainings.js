/* Training sessions: GET /api/v1/trainings lists them, POST creates one, and
   POST /api/v1/trainings/{id}/attendance records one result (pass or fail) for each pool number
   typed. An error on records[i].expert_code is shown with the pool number it is about. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var createForm = document.getElementById("training-form");
  var attendanceForm = document.getElementById("attendance-form");
  var body = document.querySelector("#training-table tbody");
  var status = document.getElementById("trainings-status");

  async function load(select) {
    var answer = await A.call("GET", "/api/v1/trainings?page_size=200");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    body.textContent = "";
    var sessions = attendanceForm.elements.session, chosen = select || sessions.value;
    sessions.textContent = "";
    answer.body.items.forEach(function (training) {
      var row = document.createElement("tr");
      row.dataset.id = training.id;
      A.cell(row, training.id); A.cell(row, training.title); A.cell(row, training.held_on);
      A.cell(row, training.attended); A.cell(row, training.passed);
      body.appendChild(row);
      sessions.appendChild(new Option(training.held_on + " " + training.title, String(training.id)));
    });
    if (chosen) sessions.value = String(chosen);
    status.textContent = answer.body.items.length ? "" : w.none;
  }

  createForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = document.getElementById("training-status");
    note.textContent = w.saving;
    var answer = await A.send(createForm, "POST", "/api/v1/trainings",
                              {title: A.value(createForm, "title"), held_on: A.value(createForm, "held_on") || null});
    note.textContent = answer.ok ? w.saved : "";
    if (answer.ok) { createForm.reset(); load(answer.body.id); }
  });

  attendanceForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var result = document.getElementById("attendance-result");
    result.classList.add("hidden");
    var id = A.value(attendanceForm, "session");
    if (!id) { A.clearErrors(attendanceForm); A.showGeneral(attendanceForm, w.choose_session); return; }
    var passed = A.checked(attendanceForm, "passed")[0] === "true";
    var codes = A.value(attendanceForm, "records").split(/[\s,，、]+/).filter(Boolean).map(function (c) {
      return c.toUpperCase();
    });
    var records = codes.map(function (c) { return {expert_code: c, passed: passed}; });
    var answer = await A.send(attendanceForm, "POST", "/api/v1/trainings/" + encodeURIComponent(id) + "/attendance",
      {records: records}, function (error) {
        var index = /^records\[(\d+)\]/.exec(error.field || "");
        return index && codes[Number(index[1])] ? codes[Number(index[1])] + "：" : "";
      });
    if (!answer.ok) return;
    result.textContent = w.recorded + answer.body.experts.map(function (e) {
      return A.format(e.passed ? w.result_pass : w.result_fail, {code: e.code, until: e.trained_until || "—"});
    }).join("；");
    result.classList.remove("hidden");
    attendanceForm.elements.records.value = "";
    load(id);
  });

  load();
})();
