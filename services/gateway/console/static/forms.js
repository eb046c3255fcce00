/* What the console's page scripts share (panels.js, console-procurement.js, admin.js and the admin
   pages on it, console-audit.js): the API's texts put into the page's language, field errors shown
   next to their fields, a form's general message, busy states, reading a form and filling a table.
   The layout loads it after console.js and before every page's own script.

   Each page keeps its own words: a "catalogue" is the api part of the page's JSON words block,
     {problems: {codes: {"project.no_lot": "项目 {project} 没有标段 {lot}。", "field.pattern@code": …},
                 values: {state: {"declined": "已谢绝"}, …}, separator: "、"},
      failed: "prefix of a refusal", check_fields: "see the fields", network: "no answer", ...}
   (services/gateway/console/i18n/problem_messages.py) and where its errors go (see showErrors). A refusal
   is shown from its code and params, never from the API's English sentence.

   sortesForms.render(catalogue, item, field)  a refusal or field error {code, params} in the page's
                                             language; an item the page made itself ({message}) as it is
   sortesForms.format(template, values)      "{name}" replaced by values.name (unknown names kept)
   sortesForms.problemText(catalogue, answer)  a refusal's text by its code, or its status in words
   sortesForms.call(method, path, body, networkText)
                                             sortesConsole.api, with a call that gets no answer as
                                             {ok: false, status: 0, body: {message: networkText}}
   sortesForms.clearErrors(form)             empties the field slots and the general message
   sortesForms.showErrors(form, errors, options)  puts [{field, code, params}] next to their fields;
                                             returns "field：text" of those without a slot
   sortesForms.showGeneral(form, text)       the form's .form-error (an alert where it has none)
   sortesForms.showProblem(form, answer, options)  a refused call: its field errors, then the general
                                             message, then the focus on the first invalid field
   sortesForms.busy(form, on)                buttons disabled, its .progress line shown, aria-busy
   sortesForms.submit(form, request, options)  sends request {method, path, body, done}, busy meanwhile;
                                             done(answer's body) on success (the form stays busy while
                                             the page moves on), else showProblem(form, answer, options)
   sortesForms.value(form, name), checked(form, name)  a field's trimmed value; a group's ticked values
   sortesForms.cell(row, text, className)    appends a <td> ("" for null, undefined) and returns it */
"use strict";

var sortesForms = (function () {
  function has(object, name) { return Object.prototype.hasOwnProperty.call(object, name); }

  // "records[2].expert_code" → "expert_code": a page's own text may be for the field's last name.
  function lastName(field) {
    var found = /(\w+)(\[\d+\])?$/.exec(String(field || ""));
    return found ? found[1] : "";
  }

  // The page's own text for the code on this field first ("field.pattern@code"), then the
  // catalogue's; a param whose values are codes (a member's state, roles "a, b") by their names.
  // A refusal without a code (a proxy's error page): its status, said in the page's language.
  function statusText(status) {
    var chinese = (document.documentElement.lang || "zh").indexOf("zh") === 0;
    return chinese ? "服务器未能完成请求（状态 " + status + "）" : "The server did not complete the request (HTTP " + status + ")";
  }

  function render(catalogue, item, field) {
    if (!item) return "";
    if (!item.code) return item.message || "";
    var problems = catalogue.problems, texts = problems.codes, params = item.params || {};
    var template = (field && (texts[item.code + "@" + field] || texts[item.code + "@" + lastName(field)]))
      || texts[item.code] || texts["http.error"];
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      if (!has(params, name)) return all;
      var names = problems.values[name];
      if (!names) return String(params[name]);
      return String(params[name]).split(", ").map(function (part) {
        return has(names, part) ? names[part] : part;
      }).join(problems.separator);
    });
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return has(values, name) ? String(values[name]) : all;
    });
  }

  function problemText(catalogue, answer) {
    return render(catalogue, answer.body) || statusText(answer.status);
  }

  async function call(method, path, body, networkText) {
    try {
      return await sortesConsole.api(method, path, body);
    } catch (error) {
      return {ok: false, status: 0, body: {message: networkText}};
    }
  }

  // --- errors ---------------------------------------------------------------------------------------

  function clearErrors(form) {
    form.querySelectorAll(".field-error, [data-error-for]").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var general = form.querySelector(".form-error");
    if (general) { general.textContent = ""; general.classList.add("hidden"); }
  }

  // The first name of "fields[0].code" or "records[2].expert_code" is "fields", "records".
  function firstName(error) { return String(error.field || "").split(/[.[]/)[0]; }

  // options: catalogue (required); and, each optional —
  //   slot(form, error): where the error goes (null: nowhere); by default [data-error-for=<first name>]
  //   input(form, slot, error): what is marked aria-invalid; by default [name=<first name>]
  //   label(error, slot): put before the error's text (slot is null for an error with no slot)
  //   replace: a second error on a slot replaces the first rather than following it after "；"
  function showErrors(form, errors, options) {
    var unplaced = [];
    errors.forEach(function (error) {
      var slot = options.slot ? options.slot(form, error)
        : form.querySelector('[data-error-for="' + firstName(error) + '"]');
      var text = (options.label ? options.label(error, slot) : "") + render(options.catalogue, error, error.field);
      if (!slot) { unplaced.push(error.field + "：" + text); return; }
      slot.textContent = slot.textContent && !options.replace ? slot.textContent + "；" + text : text;
      var input = options.input ? options.input(form, slot, error)
        : form.querySelector('[name="' + firstName(error) + '"]');
      if (input) input.setAttribute("aria-invalid", "true");
    });
    return unplaced;
  }

  function showGeneral(form, text) {
    var general = form.querySelector(".form-error");
    if (!general) { window.alert(text); return; }
    general.textContent = text;
    general.classList.remove("hidden");
  }

  // options: those of showErrors, and orphan: {status, field} — a refusal with that status and no
  // field errors (a 409 "already exists", a 404 "no such project") is put on that field.
  function showProblem(form, answer, options) {
    var problem = answer.body || {};
    var errors = problem.errors || [];
    var orphan = options.orphan;
    if (!errors.length && orphan && orphan.field && answer.status === orphan.status) {
      errors = [{field: orphan.field, code: problem.code, params: problem.params}];
    }
    var unplaced = showErrors(form, errors, options);
    var catalogue = options.catalogue;
    showGeneral(form, catalogue.failed + (unplaced.length ? unplaced.join("；")
      : errors.length ? catalogue.check_fields : problemText(catalogue, answer)));
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  function busy(form, on) {
    form.querySelectorAll("button").forEach(function (button) { button.disabled = on; });
    var progress = form.querySelector(".progress");
    if (progress) progress.classList.toggle("hidden", !on);
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  async function submit(form, request, options) {
    busy(form, true);
    var answer = await call(request.method, request.path, request.body, options.catalogue.network);
    if (answer.ok) {
      request.done(answer.body);
      return;  // the page moves on; the form stays busy until it does
    }
    busy(form, false);
    showProblem(form, answer, options);
  }

  // --- reading a form, filling a table ------------------------------------------------------------

  function value(form, name) {
    var element = form.elements.namedItem(name);
    return element && element.value !== undefined && element.value !== null ? String(element.value).trim() : "";
  }

  function checked(form, name) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'),
                                    function (box) { return box.value; });
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  return {render: render, format: format, problemText: problemText, statusText: statusText, call: call,
          clearErrors: clearErrors, showErrors: showErrors, showGeneral: showGeneral, showProblem: showProblem,
          busy: busy, submit: submit, value: value, checked: checked, cell: cell};
})();
