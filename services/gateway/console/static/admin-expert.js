/* One expert, for the bureau admin: GET /api/v1/experts/{code} fills the page; the profile is saved
   with PATCH (only what changed), the status with PUT …/status, a bad-conduct record added with
   POST …/bad-conduct. The page reads the expert with personal data masked (?masked=true, nothing
   logged) and asks for it whole only when "show" is pressed: the service logs that showing. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var loadStatus = document.getElementById("expert-load-status");
  var code = loadStatus.dataset.code;
  var path = "/api/v1/experts/" + encodeURIComponent(code);
  var profileForm = document.getElementById("profile-form");
  var statusForm = document.getElementById("status-form");
  var personalForm = document.getElementById("personal-form");
  var toggle = document.getElementById("personal-toggle");
  var PROFILE = ["name", "birth_date", "unit_name", "unit_uscc", "title", "years_in_field", "account_subject"];
  var expert = null, masked = {}, whole = null, shown = false;

  // The same masks as the service's (shared/crypto/masking.py).
  function compact(text) { return String(text).replace(/[\s-]/g, ""); }
  function maskText(text) {
    if (text.length >= 3) return text[0] + "*".repeat(text.length - 2) + text[text.length - 1];
    return text.length === 2 ? text[0] + "*" : "*".repeat(text.length);
  }
  var MASKS = {
    phone: function (v) { v = compact(v); return v.length < 11 ? maskText(v) : v.slice(0, 3) + "****" + v.slice(-4); },
    id_number: function (v) {
      v = compact(v).toUpperCase();
      return v.length < 15 ? maskText(v) : v.slice(0, 6) + "*".repeat(v.length - 10) + v.slice(-4);
    },
    bank_account: function (v) { v = compact(v); return v.length < 8 ? maskText(v) : "**** **** **** " + v.slice(-4); }
  };

  function showPersonal() {
    document.querySelectorAll("[data-personal]").forEach(function (slot) {
      var key = slot.dataset.personal, value = (shown ? whole : masked)[key];
      slot.textContent = value === null || value === undefined ? w.none : value;
    });
    toggle.textContent = shown ? toggle.dataset.hide : toggle.dataset.show;
    toggle.setAttribute("aria-pressed", shown ? "true" : "false");
  }

  function text(id, value) { document.getElementById(id).textContent = value === null || value === undefined ? "—" : value; }

  function showStatus() {
    text("status-now", w.statuses[expert.status] || expert.status);
    text("status-reason", expert.status_reason);
    text("status-since", expert.status_changed_on);
    text("status-until", expert.suspended_until);
    text("t-last", expert.last_trained_on);
    text("t-until", expert.trained_until);
  }

  function fillProfile() {
    PROFILE.forEach(function (name) {
      var value = expert[name];
      profileForm.elements.namedItem(name).value = value === null || value === undefined ? "" : value;
    });
    var held = expert.fields.map(function (f) { return f.code; });
    var primary = expert.fields.filter(function (f) { return f.primary; }).map(function (f) { return f.code; });
    var others = held.filter(function (c) { return primary.indexOf(c) < 0; });
    var chosen = [primary[0] || "", others[0] || "", others[1] || ""];
    profileForm.querySelectorAll("[data-field-slot]").forEach(function (select) {
      select.value = chosen[Number(select.dataset.fieldSlot)];
    });
  }

  function fillFieldOptions(fields) {
    var held = expert.fields.map(function (f) { return f.code; });
    profileForm.querySelectorAll("[data-field-slot]").forEach(function (select) {
      select.textContent = "";
      if (select.dataset.fieldSlot !== "0") select.appendChild(new Option(w.no_field, ""));
      fields.forEach(function (field) {
        if (field.retired && held.indexOf(field.code) < 0) return;
        var label = (document.documentElement.lang === "en" ? field.name_en : field.name_zh) + "（" + field.code + "）";
        select.appendChild(new Option(label, field.code));
      });
    });
  }

  function fillTable(id, rows, columns) {
    var body = document.querySelector("#" + id + " tbody");
    body.textContent = "";
    if (!rows.length) { var row = body.insertRow(); A.cell(row, w.none).colSpan = columns.length; return; }
    rows.forEach(function (item) {
      var row = document.createElement("tr");
      columns.forEach(function (name) { A.cell(row, item[name]); });
      body.appendChild(row);
    });
  }

  function show(answer) {
    expert = answer;
    fillProfile();
    showStatus();
    fillTable("former-table", expert.former_employers, ["unit_name", "unit_uscc", "started_on", "ended_on"]);
    fillTable("certificate-table", expert.certificates, ["name", "expires_on"]);
    fillTable("conduct-table", expert.bad_conduct_records, ["occurred_on", "description"]);
  }

  async function load() {
    var answers = await Promise.all([A.call("GET", path + "?masked=true"), A.call("GET", "/api/v1/fields")]);
    if (!answers[0].ok) {
      loadStatus.textContent = answers[0].status === 404 ? w.not_found : w.load_failed + A.problemText(answers[0]);
      return;
    }
    expert = answers[0].body;
    masked = expert.personal_data;
    fillFieldOptions(answers[1].ok ? answers[1].body : []);
    show(expert);
    showPersonal();
    document.getElementById("expert-heading").textContent =
      A.format(w.title, {code: expert.code}) + " " + expert.name;
    loadStatus.textContent = "";
    document.getElementById("expert-page").classList.remove("hidden");
  }

  function fieldsChosen() {
    var codes = [];
    profileForm.querySelectorAll("[data-field-slot]").forEach(function (select) {
      if (select.value && codes.indexOf(select.value) < 0) codes.push(select.value);
    });
    return codes.map(function (c, index) { return {code: c, primary: index === 0}; });
  }

  profileForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = document.getElementById("profile-status"), changes = {};
    PROFILE.forEach(function (name) {
      var typed = A.value(profileForm, name), stored = expert[name];
      stored = stored === null || stored === undefined ? "" : String(stored);
      if (typed === stored) return;
      if (name === "years_in_field") changes[name] = /^\d+$/.test(typed) ? parseInt(typed, 10) : typed;
      else changes[name] = typed === "" && name === "account_subject" ? null : typed;
    });
    var fields = fieldsChosen();
    if (JSON.stringify(fields) !== JSON.stringify(expert.fields.map(function (f) { return {code: f.code, primary: f.primary}; }))) {
      changes.fields = fields;
    }
    if (!Object.keys(changes).length) { A.clearErrors(profileForm); status.textContent = w.unchanged; return; }
    status.textContent = w.saving;
    var answer = await A.send(profileForm, "PATCH", path, changes);
    status.textContent = answer.ok ? w.saved : "";
    if (answer.ok) {
      show(answer.body);
      document.getElementById("expert-heading").textContent = A.format(w.title, {code: expert.code}) + " " + expert.name;
    }
  });

  personalForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = document.getElementById("personal-status"), changes = {};
    ["phone", "id_number", "bank_account"].forEach(function (name) {
      var typed = A.value(personalForm, name);
      if (typed !== "") changes[name] = typed;
    });
    if (!Object.keys(changes).length) { A.clearErrors(personalForm); status.textContent = w.unchanged; return; }
    status.textContent = w.saving;
    var answer = await A.send(personalForm, "PATCH", path, changes);
    status.textContent = answer.ok ? w.saved : "";
    if (answer.ok) {
      Object.keys(changes).forEach(function (name) {
        masked[name] = MASKS[name](changes[name]);
        if (whole !== null) whole[name] = changes[name];
        personalForm.elements.namedItem(name).value = "";
      });
      showPersonal();
    }
  });

  toggle.addEventListener("click", async function () {
    var status = document.getElementById("personal-status");
    if (!shown && whole === null) {  // the first showing: read it whole (the service logs this)
      var answer = await A.call("GET", path);
      if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
      whole = answer.body.personal_data;
      status.textContent = "";
    }
    shown = !shown;
    showPersonal();
  });

  function untilShown() {
    document.getElementById("s-until-box").classList.toggle("hidden", statusForm.elements.status.value !== "suspended");
  }
  statusForm.elements.status.addEventListener("change", untilShown);
  untilShown();

  statusForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = document.getElementById("status-status");
    var next = A.value(statusForm, "status");
    var body = {status: next, reason: A.value(statusForm, "reason"),
                suspended_until: next === "suspended" ? A.value(statusForm, "suspended_until") || null : null};
    if (next === "retired" && !window.confirm(w.retire_confirm)) return;
    status.textContent = w.saving;
    var answer = await A.send(statusForm, "PUT", path + "/status", body);
    status.textContent = answer.ok ? w.status_changed : "";
    if (answer.ok) {
      expert = answer.body;
      showStatus();
      statusForm.reset();
      untilShown();
    }
  });

  var conductForm = document.getElementById("conduct-form");
  conductForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = document.getElementById("conduct-status");
    status.textContent = w.saving;
    var answer = await A.send(conductForm, "POST", path + "/bad-conduct", {
      occurred_on: A.value(conductForm, "occurred_on") || null, description: A.value(conductForm, "description")});
    status.textContent = answer.ok ? w.conduct_added : "";
    if (answer.ok) { conductForm.reset(); show(answer.body); }
  });

  load();
})();
