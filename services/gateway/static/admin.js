/* What the bureau admin's pages share: their words (the #admin-words JSON block), the API's problem
   texts put into the page's language, field errors shown next to their fields, busy states, and
   small builders of table rows. Calls go through sortesConsole.api (console.js: session cookie +
   CSRF header), or sortesAdmin.upload for a file. */
"use strict";

var sortesAdmin = (function () {
  var words = JSON.parse(document.getElementById("admin-words").textContent);
  var api = words.api;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function translate(text) {
    if (!text) return "";
    if (Object.prototype.hasOwnProperty.call(api.messages, text)) return api.messages[text];
    for (var i = 0; i < api.patterns.length; i++) {
      var match = new RegExp(api.patterns[i][0]).exec(text);
      if (match) {
        return api.patterns[i][1].replace(/\$(\d)/g, function (_, n) { return match[Number(n)] || ""; });
      }
    }
    return text;
  }

  function problemText(answer) {
    var problem = answer.body || {};
    return translate(problem.detail || problem.title) || "HTTP " + answer.status;
  }

  // --- forms --------------------------------------------------------------------------------------

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var general = form.querySelector(".form-error");
    if (general) { general.textContent = ""; general.classList.add("hidden"); }
  }

  // An error on "fields[0].code" or "records[2].expert_code" goes to the slot of its first name
  // ([data-error-for="fields"]); what has no slot is listed in the form's general message.
  function showErrors(form, errors, label) {
    var unplaced = [];
    errors.forEach(function (error) {
      var name = String(error.field || "").split(/[.[]/)[0];
      var slot = form.querySelector('[data-error-for="' + name + '"]');
      var text = (label ? label(error) : "") + translate(error.message);
      if (!slot) { unplaced.push(error.field + "：" + text); return; }
      slot.textContent = slot.textContent ? slot.textContent + "；" + text : text;
      var input = form.querySelector('[name="' + name + '"]');
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

  // A refusal without field errors (a 409 "already exists") is put on the form's data-conflict-field.
  function showProblem(form, answer, label) {
    var errors = (answer.body && answer.body.errors) || [];
    if (!errors.length && answer.status === 409 && form.dataset.conflictField) {
      errors = [{field: form.dataset.conflictField, message: (answer.body && answer.body.detail) || ""}];
    }
    var unplaced = showErrors(form, errors, label);
    showGeneral(form, api.failed + (unplaced.length ? unplaced.join("；")
      : errors.length ? api.check_fields : problemText(answer)));
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  function busy(form, on) {
    form.querySelectorAll("button").forEach(function (button) { button.disabled = on; });
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  async function call(method, path, body) {
    try {
      return await sortesConsole.api(method, path, body);
    } catch (error) {
      return {ok: false, status: 0, body: {detail: api.network}};
    }
  }

  // Send a form's request: busy while it runs, field errors on refusal; the answer either way.
  async function send(form, method, path, body, label) {
    clearErrors(form);
    busy(form, true);
    var answer = await call(method, path, body);
    busy(form, false);
    if (!answer.ok) showProblem(form, answer, label);
    return answer;
  }

  // A multipart upload (the browser sets the boundary); the CSRF token as console.js sends it.
  async function upload(path, data) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    try {
      var response = await fetch(path, {method: "POST", body: data, credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRF-Token": meta ? meta.getAttribute("content") : ""}});
      var type = response.headers.get("content-type") || "";
      return {ok: response.ok, status: response.status, body: type.indexOf("json") >= 0 ? await response.json() : null};
    } catch (error) {
      return {ok: false, status: 0, body: {detail: api.network}};
    }
  }

  function value(form, name) {
    var element = form.elements.namedItem(name);
    return element ? String(element.value).trim() : "";
  }

  function checked(form, name) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'),
                                    function (box) { return box.value; });
  }

  // --- tables -------------------------------------------------------------------------------------

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function button(label, onClick, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.className = "small" + (className ? " " + className : "");
    element.addEventListener("click", onClick);
    return element;
  }

  function localTime(instant) {
    return instant ? new Date(instant).toLocaleString(document.documentElement.lang || undefined,
      {timeZone: "Asia/Shanghai", hour12: false}) : "";
  }

  return {words: words, format: format, translate: translate, problemText: problemText, call: call, send: send,
          upload: upload, clearErrors: clearErrors, showProblem: showProblem, showGeneral: showGeneral, busy: busy,
          value: value, checked: checked, cell: cell, button: button, localTime: localTime};
})();
