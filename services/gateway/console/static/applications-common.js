/* What the pages for joining the pool and changing an entry share (apply.js, admin-applications.js,
   admin-expert-new.js, my-changes.js): the chosen fields of the three selects ([data-field-slot]),
   the selects filled from GET /api/v1/fields where the page reads them itself, and a list of fields
   shown by code with the main one marked, and the person's details as application_fields.html asks them
   (apply.js, recommend.js). */
"use strict";

var sortesApplications = (function () {
  // The first select is the main field; the others, when chosen and not repeated, are the rest.
  function chosenFields(form) {
    var chosen = [];
    form.querySelectorAll("[data-field-slot]").forEach(function (select) {
      var code = select.value;
      if (!code || chosen.some(function (f) { return f.code === code; })) return;
      chosen.push({code: code, primary: select.dataset.fieldSlot === "0"});
    });
    return chosen;
  }

  // The person's details from the fields of console/application_fields.html, as the API takes them.
  function personOf(form) {
    var A = sortesAdmin;
    var years = A.value(form, "years_in_field");
    var certificate = A.value(form, "certificate");
    return {
      name: A.value(form, "name"), birth_date: A.value(form, "birth_date") || null,
      id_number: A.value(form, "id_number"), phone: A.value(form, "phone"),
      unit_name: A.value(form, "unit_name"), unit_uscc: A.value(form, "unit_uscc").toUpperCase(),
      title: A.value(form, "title"), years_in_field: years === "" ? null : Number(years),
      fields: chosenFields(form),
      certificates: certificate ? [{name: certificate, expires_on: A.value(form, "certificate_expires_on") || null}] : []
    };
  }

  function fillFieldOptions(form, fields, words) {
    var english = document.documentElement.lang === "en";
    form.querySelectorAll("[data-field-slot]").forEach(function (select) {
      var keep = select.value;
      select.textContent = "";
      select.appendChild(new Option(select.dataset.fieldSlot === "0" ? words.choose : words.no_field, ""));
      fields.forEach(function (field) {
        if (field.retired) return;
        select.appendChild(new Option((english ? field.name_en : field.name_zh) + "（" + field.code + "）", field.code));
      });
      select.value = keep;
    });
  }

  // Field names by code, in the page's language, from GET /api/v1/fields.
  function fieldNames(fields) {
    var english = document.documentElement.lang === "en", names = {};
    (fields || []).forEach(function (field) { names[field.code] = english ? field.name_en : field.name_zh; });
    return names;
  }

  // Fields by name (the code where no name is known), the main one marked.
  function fieldList(fields, primaryMark, names) {
    return (fields || []).map(function (f) {
      return ((names && names[f.code]) || f.code) + (f.primary ? primaryMark : "");
    }).join("、");
  }

  return {chosenFields: chosenFields, personOf: personOf, fillFieldOptions: fillFieldOptions,
          fieldNames: fieldNames, fieldList: fieldList};
})();
