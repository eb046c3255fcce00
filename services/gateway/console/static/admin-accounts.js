/* Units, users and API keys (the gateway's own /api/v1/units, /users, /api-keys). A user is disabled
   or enabled, or given a new password (which also lifts a lockout), with PATCH /api/v1/users/{name};
   a new API key's value is shown once, above the list, and never again; a key is revoked with
   POST /api/v1/api-keys/{id}/revoke. */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words;
  var status = document.getElementById("accounts-status");
  var actionStatus = document.getElementById("user-action-status");
  var resetForm = document.getElementById("reset-form");
  var units = [], resetting = null;

  function roleNames(roles) { return roles.map(function (r) { return w.role_names[r] || r; }).join("、"); }

  function unitName(uscc) {
    var unit = units.filter(function (u) { return u.uscc === uscc; })[0];
    return unit ? unit.name : uscc;
  }

  function fillUnits() {
    var body = document.querySelector("#unit-table tbody");
    body.textContent = "";
    units.forEach(function (unit) {
      var row = document.createElement("tr");
      A.cell(row, unit.name); A.cell(row, unit.uscc, "mono");
      body.appendChild(row);
    });
    document.querySelectorAll("select[data-units]").forEach(function (select) {
      var chosen = select.value;
      select.textContent = "";
      units.forEach(function (unit) { select.appendChild(new Option(unit.name, unit.uscc)); });
      if (chosen) select.value = chosen;
    });
  }

  async function setDisabled(user, disabled) {
    if (disabled && !window.confirm(A.format(w.disable_confirm, {username: user.username}))) return;
    var answer = await A.call("PATCH", "/api/v1/users/" + encodeURIComponent(user.username), {disabled: disabled});
    actionStatus.textContent = answer.ok ? w.saved : A.words.api.failed + A.problemText(answer);
    loadUsers();
  }

  function openReset(user) {
    resetting = user;
    document.getElementById("reset-heading").textContent = w.reset + "：" + user.username;
    A.clearErrors(resetForm);
    resetForm.classList.remove("hidden");
    resetForm.elements.password.focus();
  }

  function userState(user) {
    if (user.disabled) return w.disabled;
    if (user.locked_until && new Date(user.locked_until) > new Date()) {
      return A.format(w.locked, {until: A.localTime(user.locked_until)});
    }
    return w.active;
  }

  async function loadUsers() {
    var answer = await A.call("GET", "/api/v1/users");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    var body = document.querySelector("#user-table tbody");
    body.textContent = "";
    answer.body.forEach(function (user) {
      var row = document.createElement("tr");
      row.dataset.username = user.username;
      A.cell(row, user.username, "mono"); A.cell(row, user.display_name); A.cell(row, unitName(user.unit_uscc));
      A.cell(row, roleNames(user.roles)); A.cell(row, userState(user));
      var actions = A.cell(row, "");
      actions.appendChild(A.button(user.disabled ? w.enable : w.disable,
                                   function () { setDisabled(user, !user.disabled); }, "secondary"));
      actions.appendChild(A.button(w.reset, function () { openReset(user); }, "secondary"));
      body.appendChild(row);
    });
  }

  function keyState(key) {
    if (key.revoked_at) return w.revoked + " " + A.localTime(key.revoked_at);
    if (key.expires_at && new Date(key.expires_at) <= new Date()) return w.expired;
    return w.valid;
  }

  async function loadKeys() {
    var answer = await A.call("GET", "/api/v1/api-keys");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    var body = document.querySelector("#key-table tbody");
    body.textContent = "";
    answer.body.slice().reverse().forEach(function (key) {
      var row = document.createElement("tr");
      row.dataset.keyId = key.id;
      A.cell(row, key.name); A.cell(row, roleNames(key.roles)); A.cell(row, unitName(key.unit_uscc));
      A.cell(row, A.localTime(key.created_at)); A.cell(row, key.expires_at ? A.localTime(key.expires_at) : w.never);
      A.cell(row, keyState(key));
      var actions = A.cell(row, "");
      if (!key.revoked_at) {
        actions.appendChild(A.button(w.revoke, async function () {
          if (!window.confirm(A.format(w.revoke_confirm, {name: key.name}))) return;
          var revoked = await A.call("POST", "/api/v1/api-keys/" + encodeURIComponent(key.id) + "/revoke");
          if (!revoked.ok) { status.textContent = A.words.api.failed + A.problemText(revoked); return; }
          loadKeys();
        }, "secondary"));
      }
      body.appendChild(row);
    });
  }

  async function load() {
    var answer = await A.call("GET", "/api/v1/units");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    units = answer.body;
    fillUnits();
    status.textContent = "";
    await Promise.all([loadUsers(), loadKeys()]);
  }

  document.getElementById("unit-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var form = event.target, note = document.getElementById("unit-status");
    note.textContent = w.saving;
    var answer = await A.send(form, "POST", "/api/v1/units",
                              {uscc: A.value(form, "uscc").toUpperCase(), name: A.value(form, "name")});
    note.textContent = answer.ok ? w.saved : "";
    if (answer.ok) { form.reset(); load(); }
  });

  document.getElementById("user-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var form = event.target, note = document.getElementById("user-status");
    note.textContent = w.saving;
    var answer = await A.send(form, "POST", "/api/v1/users", {
      username: A.value(form, "username"), display_name: A.value(form, "display_name"),
      unit_uscc: A.value(form, "unit_uscc"), roles: A.checked(form, "roles"),
      password: form.elements.password.value});
    note.textContent = answer.ok ? w.saved : "";
    if (answer.ok) { form.reset(); loadUsers(); }
  });

  resetForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var answer = await A.send(resetForm, "PATCH", "/api/v1/users/" + encodeURIComponent(resetting.username),
                              {password: resetForm.elements.password.value});
    if (!answer.ok) return;
    resetForm.reset();
    resetForm.classList.add("hidden");
    actionStatus.textContent = w.reset_done;
    loadUsers();
  });
  document.getElementById("reset-cancel").addEventListener("click", function () {
    resetForm.reset();
    resetForm.classList.add("hidden");
  });

  document.getElementById("key-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var form = event.target, expires = A.value(form, "expires_at");
    var answer = await A.send(form, "POST", "/api/v1/api-keys", {
      name: A.value(form, "name"), unit_uscc: A.value(form, "unit_uscc"), roles: A.checked(form, "roles"),
      expires_at: expires ? expires + "T23:59:59+08:00" : null});
    if (!answer.ok) return;
    form.reset();
    document.getElementById("key-value").textContent = answer.body.value;
    document.getElementById("key-copied").textContent = "";
    var once = document.getElementById("key-once");
    once.classList.remove("hidden");
    once.scrollIntoView({block: "center"});
    loadKeys();
  });

  document.getElementById("key-copy").addEventListener("click", async function () {
    try {
      await navigator.clipboard.writeText(document.getElementById("key-value").textContent);
      document.getElementById("key-copied").textContent = w.copied;
    } catch (error) {
      window.getSelection().selectAllChildren(document.getElementById("key-value"));
    }
  });

  load();
})();
