/* The vendor pages' forms: a lot's bidder conflict check, recording an engagement, rating a vendor,
   the vendor's comment and the review of a dispute. Each form names what it builds in
   data-vendor-form and where it goes in data-path; the call goes through sortesConsole.api
   (console.js: session cookie + CSRF header). While it runs the form is busy (buttons disabled, a
   progress line); a refusal's field errors are shown next to their fields in the page's language
   (the #vendor-words JSON block). Buttons marked data-print print the page. */
"use strict";

(function () {
  var wordsBlock = document.getElementById("vendor-words");
  if (!wordsBlock) return;
  var api = JSON.parse(wordsBlock.textContent).api;

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

  function field(form, name) {
    var element = form.elements.namedItem(name);
    return element && element.value !== undefined ? element.value.trim() : "";
  }

  function orNull(text) { return text === "" ? null : text; }

  function choice(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : null;
  }

  // "480000" or "480000.5" yuan as integer fen, without floating point; anything else as typed,
  // for the API to name the field.
  function fen(text) {
    var match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text.replace(/[,，\s]/g, ""));
    if (!match) return text === "" ? null : text;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function goTo(path) { return function () { window.location.assign(path); }; }

  function reload() { window.location.reload(); }

  var builders = {
    "conflict-check": function (form) {
      var bidders = form.elements.namedItem("bidders").value.split(/[\s,，;；]+/)
        .map(function (s) { return s.trim().toUpperCase(); }).filter(function (s) { return s.length > 0; });
      return {body: {bidders: bidders}, lines: {bidders: bidders},
              done: function (check) { window.location.assign("/procurement/conflict-checks/" + encodeURIComponent(check.id)); }};
    },
    engagement: function (form) {
      return {done: reload, body: {
        vendor_uscc: field(form, "vendor_uscc").toUpperCase(), role: field(form, "role"),
        lot_code: orNull(field(form, "lot_code")), amount_fen: fen(field(form, "amount_fen")),
        started_on: orNull(field(form, "started_on")), ended_on: orNull(field(form, "ended_on"))}};
    },
    rating: function (form) {
      // Every level and the narrative are required: the unchosen ones are all marked at once, in the
      // API's own words, before anything is sent (the API names only the first it meets).
      var factors = {}, missing = [];
      form.querySelectorAll("tr[data-factor]").forEach(function (row) {
        var name = row.dataset.factor, level = choice(form, name);
        if (name === "overall") return;
        factors[name] = level;
        if (!level) missing.push({field: "factors." + name, message: "Expected `str`, got `null`"});
      });
      var body = {stage: field(form, "stage"), project_code: orNull(field(form, "project_code")), factors: factors,
                  overall: choice(form, "overall"), narrative: field(form, "narrative"),
                  visibility: choice(form, "visibility")};
      if (!body.stage) missing.unshift({field: "stage", message: "Expected `str` of length >= 1"});
      if (!body.overall) missing.push({field: "overall", message: "Expected `str`, got `null`"});
      if (!body.narrative) missing.push({field: "narrative", message: "Expected `str` of length >= 1"});
      return {done: goTo(form.dataset.done), body: body, invalid: missing.length ? missing : null};
    },
    comment: function (form) {
      return {done: reload, body: {text: field(form, "text"),
                                   disputes: form.elements.namedItem("disputes").checked}};
    },
    review: function (form) {
      return {done: reload, body: {outcome: choice(form, "outcome"), narrative: field(form, "narrative"),
                                   revised_level: orNull(field(form, "revised_level"))}};
    }
  };

  // --- showing the outcome ----------------------------------------------------------------------

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var general = form.querySelector(".form-error");
    if (general) { general.textContent = ""; general.classList.add("hidden"); }
  }

  // "narrative" → [data-error-for=narrative]; "factors.quality" → its own slot; "bidders[2]" → the
  // bidders slot, naming the line and what was typed on it.
  function place(form, error, request) {
    var name = String(error.field || "");
    var text = translate(error.message);
    var slot = form.querySelector('[data-error-for="' + name + '"]');
    var item = /^(\w+)\[(\d+)\]/.exec(name);
    if (!slot && item) {
      slot = form.querySelector('[data-error-for="' + item[1] + '"]');
      var typed = request.lines && request.lines[item[1]] ? request.lines[item[1]][Number(item[2])] : "";
      text = api.line.replace("{n}", Number(item[2]) + 1).replace("{value}", typed || "") + text;
    }
    if (!slot && name.indexOf(".") > 0) slot = form.querySelector('[data-error-for="' + name.split(".")[0] + '"]');
    if (!slot) return false;
    slot.textContent = slot.textContent ? slot.textContent + "；" + text : text;
    var holder = slot.closest("div, fieldset, tr, form");
    var input = holder ? holder.querySelector("input:not([type=radio]):not([type=checkbox]), select, textarea") : null;
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }

  function showProblem(form, answer, request) {
    var problem = answer.body || {};
    var errors = problem.errors || [];
    var unplaced = [];
    errors.forEach(function (error) {
      if (!place(form, error, request)) unplaced.push(error.field + "：" + translate(error.message));
    });
    var text = unplaced.length ? unplaced.join("；")
      : errors.length ? api.check_fields
      : translate(problem.detail || problem.title) || "HTTP " + answer.status;
    var general = form.querySelector(".form-error");
    general.textContent = api.failed + text;
    general.classList.remove("hidden");
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  function busy(form, on) {
    form.querySelectorAll("button").forEach(function (button) { button.disabled = on; });
    var progress = form.querySelector(".progress");
    if (progress) progress.classList.toggle("hidden", !on);
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  document.addEventListener("submit", async function (event) {
    var form = event.target;
    var build = builders[form.dataset.vendorForm];
    if (!build) return;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    var request = build(form);
    if (request.invalid) {
      showProblem(form, {status: 422, body: {errors: request.invalid}}, request);
      return;
    }
    busy(form, true);
    var answer;
    try {
      answer = await sortesConsole.api("POST", form.dataset.path, request.body);
    } catch (error) {
      answer = {ok: false, status: 0, body: {detail: api.network}};
    }
    if (answer.ok) {
      request.done(answer.body);
      return;  // the page moves on; the form stays busy until it does
    }
    busy(form, false);
    showProblem(form, answer, request);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) window.print();
  });
})();
