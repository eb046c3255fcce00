/* Importing experts: the chosen file goes first to POST /api/v1/experts/import?dry_run=true, whose
   row-by-row report is shown as a table; "confirm" sends the same file again for real. While a call
   runs, the form is busy and says so. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var form = document.getElementById("import-form");
  var input = document.getElementById("import-file");
  var confirmButton = document.getElementById("import-confirm");
  var report = document.getElementById("import-report");
  var busyBox = document.getElementById("import-busy");

  function setBusy(text) {
    A.busy(form, Boolean(text));
    input.disabled = Boolean(text);
    busyBox.classList.toggle("hidden", !text);
    document.getElementById("import-busy-text").textContent = text || "";
  }

  async function send(dryRun) {
    var data = new FormData();
    data.append("file", input.files[0]);
    return A.upload("/api/v1/experts/import" + (dryRun ? "?dry_run=true" : ""), data);
  }

  function showErrors(errors) {
    var body = document.querySelector("#import-error-table tbody");
    body.textContent = "";
    errors.forEach(function (error) {
      var row = document.createElement("tr");
      A.cell(row, error.row); A.cell(row, error.column); A.cell(row, A.errorText(error));
      body.appendChild(row);
    });
    document.getElementById("import-errors").classList.toggle("hidden", !errors.length);
  }

  function showReport(body) {
    var valid = body.created + body.updated;
    document.getElementById("import-summary").textContent = A.format(w.rows, {
      rows: body.rows, valid: valid, created: body.created, updated: body.updated, unchanged: body.unchanged || 0,
      rejected: body.rejected});
    showErrors(body.errors);
    report.classList.remove("hidden");
    return valid;
  }

  function refused(answer) {
    A.showProblem(form, answer);
    report.classList.add("hidden");
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    A.clearErrors(form);
    confirmButton.classList.add("hidden");
    document.getElementById("import-done").classList.add("hidden");
    document.getElementById("import-to-list").classList.add("hidden");
    if (!input.files.length) { A.showGeneral(form, w.choose_file); return; }
    setBusy(w.checking);
    var answer = await send(true);
    setBusy(null);
    if (!answer.ok) { refused(answer); return; }
    var valid = showReport(answer.body);
    if (valid > 0) {
      confirmButton.textContent = A.format(w.confirm, {count: valid});
      confirmButton.classList.remove("hidden");
    } else {
      A.showGeneral(form, w.nothing);
    }
  });

  confirmButton.addEventListener("click", async function () {
    A.clearErrors(form);
    setBusy(w.importing);
    var answer = await send(false);
    setBusy(null);
    if (!answer.ok) { refused(answer); return; }
    confirmButton.classList.add("hidden");
    showReport(answer.body);
    var done = document.getElementById("import-done");
    done.textContent = A.format(w.done, answer.body);
    done.classList.remove("hidden");
    document.getElementById("import-to-list").classList.remove("hidden");
  });

  // A new file needs a new check before it can be imported.
  input.addEventListener("change", function () { confirmButton.classList.add("hidden"); });
})();
