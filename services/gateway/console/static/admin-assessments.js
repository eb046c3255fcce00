/* The annual assessment (年度考核): GET /api/v1/assessments/{year} gives each expert's figures and the
   proposed grade; an admin confirms one with POST /api/v1/assessments/{year}/experts/{code} (a 不合格
   suspends until a date or removes the expert). The page prints as the year's sheet. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var section = document.getElementById("assessment");
  var year = section.dataset.year;
  var body = document.querySelector("#assessment-table tbody");
  var summary = document.getElementById("assessment-summary");
  document.getElementById("print-button").addEventListener("click", function () { window.print(); });

  function option(select, value, label) { select.appendChild(new Option(label, value)); }

  function confirmForm(item) {
    var form = document.createElement("form");
    form.className = "assessment-form";
    form.noValidate = true;
    form.dataset.code = item.code;
    var grade = document.createElement("select");
    grade.name = "grade"; grade.setAttribute("aria-label", w.grade);
    ["pass", "basic", "fail"].forEach(function (key) { option(grade, key, w.grades[key]); });
    grade.value = item.proposed_grade;
    var outcome = document.createElement("select");
    outcome.name = "outcome"; outcome.setAttribute("aria-label", w.outcome);
    ["none", "suspended", "retired"].forEach(function (key) { option(outcome, key, w.outcomes[key]); });
    outcome.value = item.proposed_grade === "fail" ? "suspended" : "none";
    var until = document.createElement("input");
    until.type = "date"; until.name = "suspended_until"; until.setAttribute("aria-label", w.suspended_until);
    var reason = document.createElement("input");
    reason.type = "text"; reason.name = "reason"; reason.maxLength = 500; reason.placeholder = w.reason;
    reason.setAttribute("aria-label", w.reason);
    var submit = document.createElement("button");
    submit.type = "submit"; submit.className = "small"; submit.textContent = w.confirm_button;
    [grade, outcome, until, reason, submit].forEach(function (element) { form.appendChild(element); });
    ["grade", "outcome", "suspended_until", "reason"].forEach(function (name) {
      var slot = document.createElement("span");
      slot.className = "field-error"; slot.dataset.errorFor = name; slot.setAttribute("role", "alert");
      form.appendChild(slot);
    });
    var general = document.createElement("p");
    general.className = "error form-error hidden"; general.setAttribute("role", "alert");
    form.appendChild(general);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var payload = {grade: grade.value, outcome: outcome.value};
      if (until.value) payload.suspended_until = until.value;
      if (reason.value.trim()) payload.reason = reason.value.trim();
      var answer = await A.send(form, "POST", "/api/v1/assessments/" + encodeURIComponent(year) + "/experts/" +
                                encodeURIComponent(item.code), payload);
      if (answer.ok) load();
    });
    return form;
  }

  function confirmedText(confirmation) {
    if (!confirmation) return w.pending;
    var text = w.grades[confirmation.grade];
    if (confirmation.outcome !== "none") text += "（" + w.outcomes[confirmation.outcome] + "）";
    if (confirmation.reason) text += "：" + confirmation.reason;
    return text;
  }

  async function load() {
    var answer = await A.call("GET", "/api/v1/assessments/" + encodeURIComponent(year));
    if (!answer.ok) { summary.textContent = w.load_failed + A.problemText(answer); return; }
    var sheet = answer.body;
    document.getElementById("assessment-thresholds").textContent = A.format(w.thresholds, sheet.thresholds);
    summary.textContent = sheet.items.length ? A.format(w.summary, {
      total: sheet.items.length, confirmed: sheet.confirmed, pass: sheet.grade_counts.pass,
      basic: sheet.grade_counts.basic, fail: sheet.grade_counts.fail}) : w.none;
    body.textContent = "";
    sheet.items.forEach(function (item) {
      var f = item.figures, row = document.createElement("tr");
      row.dataset.code = item.code;
      A.cell(row, item.code); A.cell(row, item.name); A.cell(row, item.unit_name);
      A.cell(row, f.invitations); A.cell(row, f.accepted); A.cell(row, f.declined_valid);
      A.cell(row, f.declined_unexcused); A.cell(row, f.no_shows);
      A.cell(row, f.scores.length ? f.scores.join("、") + "（" + w.average + " " + f.average_score + "）" : "—");
      A.cell(row, w.training_states[f.training] + (f.trained_until ? "（" + w.until + " " + f.trained_until + "）" : ""));
      A.cell(row, w.grades[item.proposed_grade] + (item.proposal_reasons.length ? "：" +
             item.proposal_reasons.join("；") : ""));
      var confirmed = A.cell(row, confirmedText(item.confirmation));
      confirmed.className = "confirmed-grade";
      var action = document.createElement("td");
      action.className = "no-print";
      if (!item.confirmation) action.appendChild(confirmForm(item));
      row.appendChild(action);
      body.appendChild(row);
    });
  }

  load();
})();
