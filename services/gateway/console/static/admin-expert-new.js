/* Add one expert: POST /api/v1/experts with the form (the same checks as an import's row); on
   success the page moves to the new expert's page. Fields come from GET /api/v1/fields. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words, S = sortesApplications;
  var form = document.getElementById("expert-form");

  A.call("GET", "/api/v1/fields").then(function (answer) {
    if (answer.ok) S.fillFieldOptions(form, answer.body, w);
  });

  function optional(name) { return A.value(form, name) || null; }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = document.getElementById("expert-status");
    note.textContent = w.saving;
    var years = A.value(form, "years_in_field");
    var certificate = A.value(form, "certificate");
    var body = {
      name: A.value(form, "name"), birth_date: optional("birth_date"), unit_name: A.value(form, "unit_name"),
      unit_uscc: A.value(form, "unit_uscc").toUpperCase(), title: A.value(form, "title"),
      years_in_field: years === "" ? null : Number(years), fields: S.chosenFields(form),
      phone: optional("phone"), id_number: optional("id_number"), bank_account: optional("bank_account"),
      last_trained_on: optional("last_trained_on"), account_subject: optional("account_subject"),
      certificates: certificate ? [{name: certificate, expires_on: optional("certificate_expires_on")}] : []
    };
    var answer = await A.send(form, "POST", "/api/v1/experts", body);
    if (!answer.ok) { note.textContent = ""; return; }
    note.textContent = A.format(w.created, {code: answer.body.code});
    window.location.assign("/admin/experts/" + encodeURIComponent(answer.body.code));
  });
})();
