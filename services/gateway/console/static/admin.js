/* What the bureau admin's pages share: their words (the #admin-words JSON block), the API's refusals
   shown in the page's language by their codes, field errors shown next to their fields, busy states, and
   small builders of table rows; mostly the console's common helpers (forms.js) bound to these
   words. Calls go through sortesConsole.api (console.js: session cookie + CSRF header), or
   sortesAdmin.upload for a file. */
"use strict";

var sortesAdmin = (function () {
  var F = sortesForms;
  var words = JSON.parse(document.getElementById("admin-words").textContent);
  var api = words.api;

  // An import's row error {code, params} (or a refusal's field error) in the page's language.
  function errorText(error) { return F.render(api, error, error.column || error.field); }

  function problemText(answer) { return F.problemText(api, answer); }

  // --- forms --------------------------------------------------------------------------------------

  // An error on "fields[0].code" or "records[2].expert_code" goes to the slot of its first name
  // ([data-error-for="fields"]), after label(error) if given; what has no slot is listed in the
  // form's general message. A refusal without field errors (a 409 "already exists") is put on the
  // form's data-conflict-field.
  function showProblem(form, answer, label) {
    F.showProblem(form, answer, {catalogue: api, label: label,
                                 orphan: {status: 409, field: form.dataset.conflictField}});
  }

  async function call(method, path, body) { return F.call(method, path, body, api.network); }

  // Send a form's request: busy while it runs, field errors on refusal; the answer either way.
  async function send(form, method, path, body, label) {
    F.clearErrors(form);
    F.busy(form, true);
    var answer = await call(method, path, body);
    F.busy(form, false);
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
      return {ok: false, status: 0, body: {message: api.network}};
    }
  }

  // --- tables -------------------------------------------------------------------------------------

  function button(label, onClick, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.className = "small" + (className ? " " + className : "");
    element.addEventListener("click", onClick);
    return element;
  }

  // An instant in Beijing time, written as every page writes one: 2026-12-04 09:30:00.
  function localTime(instant) {
    if (!instant) return "";
    var moment = new Date(instant);
    if (isNaN(moment.getTime())) return instant;
    return new Date(moment.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19).replace("T", " ");
  }

  return {words: words, format: F.format, errorText: errorText, problemText: problemText, call: call, send: send,
          upload: upload, clearErrors: F.clearErrors, showProblem: showProblem, showGeneral: F.showGeneral,
          busy: F.busy, value: F.value, checked: F.checked, cell: F.cell, button: button, localTime: localTime};
})();
