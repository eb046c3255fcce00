/* The panel pages' forms: asking for a panel, the witness, answers, supplementary draws, moving and
   cancelling, evaluations, and an expert's own invitations, days and conflicts. Each form names
   what it builds in data-panel-form and where it goes in data-path; the call goes through
   sortesConsole.api (console.js: session cookie + CSRF header). A refusal's field errors are shown
   next to their fields, in the page's language (the #panel-words JSON block), with the helpers of
   forms.js. */
"use strict";

(function () {
  var wordsBlock = document.getElementById("panel-words");
  if (!wordsBlock) return;
  var words = JSON.parse(wordsBlock.textContent);
  var api = words.api;
  var F = sortesForms, field = F.value, checked = F.checked;

  // --- reading a form ---------------------------------------------------------------------------

  function orNull(text) { return text === "" ? null : text; }

  // A whole number as a number; anything else as typed, for the API to name the field.
  function number(text) {
    text = String(text).trim();
    if (text === "") return null;
    return /^\d+$/.test(text) ? parseInt(text, 10) : text;
  }

  // The rows of a repeated list as objects; ``rows[list]`` keeps which row each item came from, so
  // an error on ``list[i].name`` finds its row even when blank rows were left out.
  function collect(form, list, rows, skipBlank) {
    var items = [];
    rows[list] = [];
    form.querySelectorAll('[data-list="' + list + '"] [data-row]').forEach(function (row) {
      var item = {}, blank = true;
      row.querySelectorAll("[data-name]").forEach(function (input) {
        var value = input.value.trim();
        if (value !== "") blank = false;
        item[input.dataset.name] = input.type === "number" ? number(value) : value;
      });
      if (skipBlank && blank) return;
      rows[list].push(row);
      items.push(item);
    });
    return items;
  }

  // A row is blank without a pool number (its reason select always has a value); an empty explanation is none.
  function avoidedExperts(form, rows) {
    var items = [];
    rows.avoid_experts = [];
    form.querySelectorAll('[data-list="avoid_experts"] [data-row]').forEach(function (row) {
      var item = {};
      row.querySelectorAll("[data-name]").forEach(function (input) { item[input.dataset.name] = input.value.trim(); });
      if (item.code === "" && item.explanation === "") return;
      item.explanation = orNull(item.explanation);
      rows.avoid_experts.push(row);
      items.push(item);
    });
    return items;
  }

  // --- what each form sends ---------------------------------------------------------------------

  function reload() { window.location.reload(); }

  // Venue, start time (of the first half-day asked), contact and notice: the request sends those
  // filled in; the call sheet's notice form sends every field, an empty one clearing it.
  function noticeFields(form, body, all) {
    ["venue", "contact_name", "contact_phone", "notice"].forEach(function (name) {
      var value = field(form, name);
      if (value !== "" || all) body[name] = orNull(value);
    });
    var start = field(form, "starts_at");
    if (start !== "") {
      var halves = form.elements.namedItem("halves") ? checked(form, "halves") : (form.dataset.halves || "").split(",");
      body.starts_at = {};
      body.starts_at[halves[0] || "morning"] = start;
    }
  }

  // The project picked: a listed code as it is, a listed name (exactly, when only one project has it)
  // as its code; null for anything else, refused before anything is sent.
  function registeredProject(form, typed) {
    var options = form.querySelectorAll("#project-choices option"), byName = [];
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === typed) return typed;
      if (options[i].textContent.trim() === typed) byName.push(options[i].value);
    }
    return byName.length === 1 ? byName[0] : null;
  }

  var builders = {
    notice: function (form) {
      var body = {};
      noticeFields(form, body, true);
      return {method: "POST", path: form.dataset.path, body: body, done: reload};
    },
    panel: function (form) {
      var rows = {};
      var code = field(form, "project_code");
      var body = {
        purpose: field(form, "purpose"), meeting_on: field(form, "meeting_on"), halves: checked(form, "halves"),
        seats: collect(form, "seats", rows, false), reserves: number(field(form, "reserves")),
        supervisor: field(form, "supervisor"), replaces: orNull(field(form, "replaces")),
        avoid_units: collect(form, "avoid_units", rows, true), avoid_experts: avoidedExperts(form, rows)};
      noticeFields(form, body, false);
      if (code === "") return {invalid: [{field: "project_code", message: api.required}]};
      code = registeredProject(form, code);
      if (code === null) return {invalid: [{field: "project_code", message: words.project_unknown}]};
      if (body.supervisor === "") return {invalid: [{field: "supervisor", message: api.required}]};
      return {method: "POST", path: "/api/v1/projects/" + encodeURIComponent(code) + "/panels", body: body,
              rows: rows, notFoundField: "project_code",
              done: function (draw) { window.location.assign("/draws/" + draw.id); }};
    },
    self_evaluation: function (form) {
      return {method: "POST", path: "/api/v1/self-evaluations", rows: {}, done: reload,
              body: {year: number(field(form, "year")), project_code: field(form, "project_code"),
                     kind: field(form, "kind"), submitted_on: field(form, "submitted_on"),
                     unit_uscc: orNull(field(form, "unit_uscc"))}};
    },
    spot_check: function (form) {
      return {method: "POST", path: "/api/v1/spot-checks", rows: {},
              body: {year: number(field(form, "year")), supervisor: field(form, "supervisor")},
              done: function (draw) { window.location.assign("/draws/" + draw.id); }};
    },
    reveal: function (form) {
      var witness = form.elements.namedItem("witness").value.normalize("NFC").trim();
      if (witness === "") return {invalid: [{field: "witness", message: api.required}]};
      return {method: "POST", path: form.dataset.path, done: reload,
              body: {witness: witness, confirmed_avoidances: checked(form, "confirmed_avoidances")},
              confirm: words.reveal_confirm.replace("{witness}", witness)};
    },
    answer: function (form, submitter) {
      var answer = submitter ? submitter.value : "accept";
      var reason = field(form, "reason");
      if (answer === "accept") {
        return {method: "POST", path: form.dataset.path + "/accept", body: {channel: field(form, "channel")}, done: reload};
      }
      if (answer === "unreachable") {
        return {method: "POST", path: form.dataset.path + "/decline", done: reload,
                body: {channel: "unreachable", reason: reason || words.unreachable}};
      }
      return {method: "POST", path: form.dataset.path + "/decline", done: reload,
              body: {channel: field(form, "channel"), reason: orNull(reason),
                     reason_category: field(form, "reason_category") || "other"}};
    },
    invitation: function (form, submitter) {
      if (submitter && submitter.value === "decline") {
        return {method: "POST", path: form.dataset.path + "/decline",
                body: {reason: orNull(field(form, "reason")), reason_category: field(form, "reason_category") || "other"},
                done: reload};
      }
      return {method: "POST", path: form.dataset.path + "/accept", body: {}, done: reload};
    },
    supplementary: function (form) {
      return {method: "POST", path: form.dataset.path, body: {},
              done: function (draw) { window.location.assign("/draws/" + draw.id); }};
    },
    meeting: function (form) {
      return {method: "POST", path: form.dataset.path, done: reload, body: {
        meeting_on: field(form, "meeting_on"), halves: checked(form, "halves"), reason: orNull(field(form, "reason"))}};
    },
    cancel: function (form) {
      // The reason is checked first: the confirmation is asked only of a cancel that can go through.
      var reason = field(form, "reason").trim();
      if (reason === "") return {invalid: [{field: "reason", message: api.required}]};
      return {method: "POST", path: form.dataset.path, body: {reason: reason}, done: reload,
              confirm: words.cancel_confirm};
    },
    evaluation: function (form) {
      var attended = form.elements.namedItem("attended").checked;
      return {method: "POST", path: form.dataset.path, done: reload, body: {
        attended: attended, score: number(field(form, "score")), notes: orNull(field(form, "notes"))}};
    },
    unavailability: function (form) {
      return {method: "POST", path: form.dataset.path, done: reload, body: {
        starts_on: field(form, "starts_on"), starts_half: field(form, "starts_half"),
        ends_on: field(form, "ends_on"), ends_half: field(form, "ends_half"), reason: orNull(field(form, "reason"))}};
    },
    conflict: function (form) {
      return {method: "POST", path: form.dataset.path, done: reload, body: {
        unit_uscc: field(form, "unit_uscc"), until: orNull(field(form, "until")), reason: orNull(field(form, "reason"))}};
    },
    "delete": function (form) {
      return {method: "DELETE", path: form.dataset.path, done: reload};
    }
  };

  // --- showing the outcome ----------------------------------------------------------------------

  // "supervisor" → [data-error-for=supervisor]; "seats[0].count" → that row's [data-error=count].
  function errorSlot(form, name, rows) {
    var item = /^(\w+)\[(\d+)\](?:\.(\w+))?$/.exec(name);
    if (item && rows && rows[item[1]] && rows[item[1]][Number(item[2])]) {
      var row = rows[item[1]][Number(item[2])];
      var slot = item[3] ? row.querySelector('[data-error="' + item[3] + '"]') : null;
      if (slot) return slot;
    }
    var top = item ? item[1] : name;
    return /^\w+$/.test(top) ? form.querySelector('[data-error-for="' + top + '"]') : null;
  }

  // The input a slot speaks of: by its name (a form's field, or a row's data-name), else its neighbour.
  function inputOf(form, slot) {
    var named = slot.dataset.errorFor ? form.querySelector('[name="' + slot.dataset.errorFor + '"]')
      : slot.dataset.error ? slot.parentElement.querySelector('[data-name="' + slot.dataset.error + '"]') : null;
    return named || slot.parentElement.querySelector("input, select");
  }

  // Where a refusal's errors go: a row's own slot, else the form's; 404 on the form's notFoundField.
  function errorPlaces(request) {
    return {catalogue: api, replace: true,
            slot: function (form, error) { return errorSlot(form, error.field, request.rows); },
            input: function (form, slot) { return inputOf(form, slot); },
            orphan: {status: 404, field: request.notFoundField}};
  }

  document.addEventListener("submit", async function (event) {
    var form = event.target;
    var build = builders[form.dataset.panelForm];
    if (!build) return;
    event.preventDefault();
    F.clearErrors(form);
    var request = build(form, event.submitter);
    if (request.invalid) { F.showErrors(form, request.invalid, errorPlaces({})); return; }
    if (request.confirm && !window.confirm(request.confirm)) return;
    await F.submit(form, request, errorPlaces(request));
  });

  // --- repeated rows, printing, waiting for the witness -----------------------------------------

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var adding = target.closest("[data-add-row]");
    if (adding) {
      var list = adding.dataset.addRow;
      var template = document.querySelector('template[data-template-for="' + list + '"]');
      var row = template.content.firstElementChild.cloneNode(true);
      document.querySelector('[data-list="' + list + '"]').appendChild(row);
      var first = row.querySelector("input, select");
      if (first) first.focus();
      return;
    }
    var removing = target.closest("[data-remove-row]");
    if (removing) { removing.closest("[data-row]").remove(); return; }
    if (target.closest("[data-print]")) window.print();
  });

  var waiting = document.querySelector("[data-poll-record]");
  if (waiting) {
    var timer = window.setInterval(async function () {
      try {
        var answer = await sortesConsole.api("GET", waiting.dataset.pollRecord);
        if (answer.ok && answer.body && answer.body.witness !== undefined) {
          window.clearInterval(timer);
          window.location.reload();
        }
      } catch (error) { /* try again at the next tick */ }
    }, 4000);
  }
})();
