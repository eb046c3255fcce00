/* The field taxonomy: GET /api/v1/fields as a two-level table; adding (POST), renaming and retiring
   or restoring (PATCH /api/v1/fields/{code}) a field. A rename opens a small form in the row. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var form = document.getElementById("field-form");
  var body = document.querySelector("#field-table tbody");
  var status = document.getElementById("fields-status");

  function ordered(fields) {
    var tops = fields.filter(function (f) { return !f.parent_code; });
    var result = [];
    tops.forEach(function (top) {
      result.push(top);
      fields.forEach(function (f) { if (f.parent_code === top.code) result.push(f); });
    });
    return result;
  }

  function renameForm(field, row) {
    var editor = document.createElement("form");
    editor.className = "rename-form";
    editor.noValidate = true;
    [["name_zh", w.name_zh], ["name_en", w.name_en]].forEach(function (pair) {
      var box = document.createElement("div");
      var input = document.createElement("input");
      input.type = "text"; input.name = pair[0]; input.value = field[pair[0]]; input.maxLength = 100;
      input.setAttribute("aria-label", pair[1] + "（" + field.code + "）");
      var error = document.createElement("span");
      error.className = "field-error"; error.dataset.errorFor = pair[0];
      box.appendChild(input); box.appendChild(error);
      editor.appendChild(box);
    });
    var general = document.createElement("p");
    general.className = "error form-error hidden";
    editor.appendChild(general);
    var save = document.createElement("button");
    save.type = "submit"; save.className = "small"; save.textContent = w.save;
    editor.appendChild(save);
    editor.appendChild(A.button(w.cancel, function () { load(); }, "secondary"));
    editor.addEventListener("submit", async function (event) {
      event.preventDefault();
      var answer = await A.send(editor, "PATCH", "/api/v1/fields/" + encodeURIComponent(field.code),
        {name_zh: A.value(editor, "name_zh"), name_en: A.value(editor, "name_en")});
      if (answer.ok) load();
    });
    var cellBox = row.lastChild;
    cellBox.textContent = "";
    cellBox.appendChild(editor);
    editor.querySelector("input").focus();
  }

  async function setRetired(field, retired) {
    if (retired && !window.confirm(A.format(w.retire_confirm, {code: field.code}))) return;
    var answer = await A.call("PATCH", "/api/v1/fields/" + encodeURIComponent(field.code), {retired: retired});
    if (!answer.ok) { status.textContent = A.words.api.failed + A.problemText(answer); return; }
    load();
  }

  function render(fields) {
    body.textContent = "";
    ordered(fields).forEach(function (field) {
      var row = document.createElement("tr");
      row.dataset.code = field.code;
      if (field.retired) row.className = "retired";
      A.cell(row, field.code, field.parent_code ? "mono child" : "mono");
      A.cell(row, field.name_zh); A.cell(row, field.name_en).lang = "en";  // the English name, marked as such
      A.cell(row, field.retired ? w.retired : w.in_use);
      var actions = A.cell(row, "");
      actions.appendChild(A.button(w.rename, function () { renameForm(field, row); }));
      actions.appendChild(field.retired ? A.button(w.restore, function () { setRetired(field, false); }, "secondary")
                                        : A.button(w.retire, function () { setRetired(field, true); }, "secondary"));
      body.appendChild(row);
    });
    var parent = form.elements.parent_code, chosen = parent.value;
    while (parent.options.length > 1) parent.remove(1);
    fields.forEach(function (f) {
      if (!f.parent_code && !f.retired) parent.appendChild(new Option(f.name_zh + "（" + f.code + "）", f.code));
    });
    parent.value = chosen;
  }

  async function load() {
    var answer = await A.call("GET", "/api/v1/fields");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    status.textContent = "";
    render(answer.body);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = document.getElementById("field-status");
    note.textContent = w.saving;
    var answer = await A.send(form, "POST", "/api/v1/fields", {
      code: A.value(form, "code").toUpperCase(), name_zh: A.value(form, "name_zh"), name_en: A.value(form, "name_en"),
      parent_code: A.value(form, "parent_code") || null});
    note.textContent = answer.ok ? w.saved : "";
    if (answer.ok) {
      form.reset();
      await load();
      var row = body.querySelector('tr[data-code="' + answer.body.code + '"]');
      if (row) { row.classList.add("highlight"); row.scrollIntoView({block: "center"}); }
    }
  });

  load();
})();
