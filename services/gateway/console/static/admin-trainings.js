/* Training sessions: GET /api/v1/trainings lists them by their own numbers (T2026-001), POST creates one,
   GET /api/v1/trainings/{id}/attendance shows who attended and each result, and
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
      A.cell(row, training.number); A.cell(row, training.title); A.cell(row, training.held_on);
      A.cell(row, training.attended); A.cell(row, training.passed);
      var action = document.createElement("td"), show = document.createElement("button");
      show.type = "button"; show.className = "small secondary"; show.textContent = w.show_attendees;
      show.addEventListener("click", function () { showAttendees(training.id); });
      action.appendChild(show); row.appendChild(action);
      body.appendChild(row);
      sessions.appendChild(new Option(training.number + " " + training.held_on + " " + training.title,
                                      String(training.id)));
    });
    if (chosen) sessions.value = String(chosen);
    status.textContent = answer.body.items.length ? "" : w.none;
  }

  async function showAttendees(id) {
    var answer = await A.call("GET", "/api/v1/trainings/" + encodeURIComponent(id) + "/attendance");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    var view = answer.body, rows = document.querySelector("#attendees-table tbody");
    document.getElementById("attendees-title").textContent = A.format(w.attendees_title, {
      number: view.training.number, title: view.training.title, held_on: view.training.held_on});
    rows.textContent = "";
    view.attendees.forEach(function (person) {
      var row = document.createElement("tr");
      A.cell(row, person.code); A.cell(row, person.name); A.cell(row, person.unit_name);
      A.cell(row, person.passed ? w.pass : w.fail); A.cell(row, person.trained_until || "—");
      rows.appendChild(row);
    });
    document.getElementById("attendees-none").classList.toggle("hidden", view.attendees.length > 0);
    document.getElementById("attendees-panel").classList.remove("hidden");
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

  // Picking experts by name: what is typed is looked up in the pool (GET /api/v1/experts?q=), the
  // choices offered as "name · unit"; the one picked adds its pool number to the list below.
  var pick = document.getElementById("at-pick"), choices = document.getElementById("at-pick-choices");
  var picked = document.getElementById("at-picked"), found = {}, timer = null;
  pick.addEventListener("input", function () {
    clearTimeout(timer);
    var text = pick.value.trim();
    if (text.length < 1 || found[text]) return;
    timer = setTimeout(async function () {
      var answer = await A.call("GET", "/api/v1/experts?page_size=20&q=" + encodeURIComponent(text));
      if (!answer.ok) return;
      choices.textContent = "";
      answer.body.items.forEach(function (expert) {
        var label = expert.name + " · " + (expert.unit_name || "") + " · " + expert.code;
        found[label] = expert;
        choices.appendChild(new Option(label, label));
      });
    }, 250);
  });
  // What was typed and not picked from the list: one expert of exactly that name, pool number or
  // label is taken; none, or several, is said beside the field and nothing is added.
  async function resolve(text) {
    if (found[text]) return found[text];
    var answer = await A.call("GET", "/api/v1/experts?page_size=20&q=" + encodeURIComponent(text));
    var items = answer.ok ? answer.body.items : [];
    var exact = items.filter(function (e) { return e.name === text || e.code === text.toUpperCase(); });
    if (exact.length === 1) return exact[0];
    var error = document.getElementById("at-pick-error");
    error.textContent = A.format(items.length ? w.pick_several : w.pick_unknown,
                                 {text: text, count: exact.length > 1 ? exact.length : items.length});
    pick.setAttribute("aria-invalid", "true");
    return null;
  }

  async function addPicked(event) {
    var text = pick.value.trim();
    var error = document.getElementById("at-pick-error");
    error.textContent = "";
    pick.removeAttribute("aria-invalid");
    if (!text) return;
    if (event && event.type === "change" && !found[text]) return;  // still typing: the button decides
    var expert = await resolve(text);
    if (!expert) return;
    var codes = attendanceForm.elements.records;
    var list = codes.value.split(/[\s,，、]+/).filter(Boolean);
    if (list.indexOf(expert.code) < 0) {
      list.push(expert.code);
      codes.value = list.join("\n");
      var item = document.createElement("li");
      item.dataset.code = expert.code;
      item.textContent = expert.name + "（" + expert.code + "）";
      picked.appendChild(item);
    }
    pick.value = "";
  }
  document.getElementById("at-pick-add").addEventListener("click", addPicked);
  pick.addEventListener("change", addPicked);

  load();
})();
