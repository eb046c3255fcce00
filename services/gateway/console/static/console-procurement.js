/* The vendor pages' forms: a lot's bidder conflict check, recording an engagement, rating a vendor,
   the vendor's comment and the review of a dispute. Each form names what it builds in
   data-vendor-form and where it goes in data-path; the call goes through sortesConsole.api
   (console.js: session cookie + CSRF header). While it runs the form is busy (buttons disabled, a
   progress line); a refusal's field errors are shown next to their fields in the page's language
   (the #vendor-words JSON block), with the helpers of forms.js. Buttons marked data-print print
   the page; a bureau admin's "show" reveals a vendor's masked ID number on request. */
"use strict";

(function () {
  var wordsBlock = document.getElementById("vendor-words");
  if (!wordsBlock) return;
  var api = JSON.parse(wordsBlock.textContent).api;
  var F = sortesForms, field = F.value;

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
      // Every level and the narrative are required: the unchosen ones are all marked at once, with the
      // API's own codes, before anything is sent (the API names only the first it meets).
      var factors = {}, missing = [];
      form.querySelectorAll("tr[data-factor]").forEach(function (row) {
        var name = row.dataset.factor, level = choice(form, name);
        if (name === "overall") return;
        factors[name] = level;
        if (!level) missing.push({field: "factors." + name, code: "field.required"});
      });
      // The engagement rated (Art. 28: the rater's standing rests on it); its project comes with it.
      var engagement = field(form, "engagement_id");
      var body = {stage: field(form, "stage"), engagement_id: engagement ? Number(engagement) : null, factors: factors,
                  overall: choice(form, "overall"), narrative: field(form, "narrative"),
                  visibility: choice(form, "visibility")};
      if (body.engagement_id === null) {
        missing.unshift({field: "engagement_id", code: "rating.engagement_needed"});
      }
      if (!body.stage) missing.unshift({field: "stage", code: "field.required"});
      if (!body.overall) missing.push({field: "overall", code: "field.required"});
      if (!body.narrative) missing.push({field: "narrative", code: "field.required"});
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

  // "narrative" → [data-error-for=narrative]; "factors.quality" → its own slot, else the factors
  // slot; "bidders[2]" → the bidders slot, naming the line and what was typed on it.
  function errorPlaces(request) {
    return {
      catalogue: api,
      slot: function (form, error) {
        var name = String(error.field || "");
        var slot = form.querySelector('[data-error-for="' + name + '"]');
        var item = /^(\w+)\[(\d+)\]/.exec(name);
        if (!slot && item) slot = form.querySelector('[data-error-for="' + item[1] + '"]');
        if (!slot && name.indexOf(".") > 0) slot = form.querySelector('[data-error-for="' + name.split(".")[0] + '"]');
        return slot;
      },
      label: function (error, slot) {
        var name = String(error.field || "");
        var item = /^(\w+)\[(\d+)\]/.exec(name);
        if (!slot || !item || slot.dataset.errorFor === name) return "";
        var typed = request.lines && request.lines[item[1]] ? request.lines[item[1]][Number(item[2])] : "";
        return api.line.replace("{n}", Number(item[2]) + 1).replace("{value}", typed || "");
      },
      input: function (form, slot) {
        var holder = slot.closest("div, fieldset, tr, form");
        return holder ? holder.querySelector("input:not([type=radio]):not([type=checkbox]), select, textarea") : null;
      }
    };
  }

  document.addEventListener("submit", async function (event) {
    var form = event.target;
    var build = builders[form.dataset.vendorForm];
    if (!build) return;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    F.clearErrors(form);
    var request = build(form);
    if (request.invalid) {
      F.showProblem(form, {status: 422, body: {errors: request.invalid}}, errorPlaces(request));
      return;
    }
    await F.submit(form, {method: "POST", path: form.dataset.path, body: request.body, done: request.done},
                   errorPlaces(request));
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) window.print();
  });

  // A bureau admin's "show" beside the legal representative's masked ID number: the page came with it
  // masked; this reads the vendor whole, which the vendors service logs as a showing.
  var showId = document.getElementById("legal-representative-show");
  if (showId) showId.addEventListener("click", async function () {
    var error = document.getElementById("legal-representative-error");
    showId.disabled = true;
    var answer = await F.call("GET", showId.dataset.path, undefined, api.network);
    if (!answer.ok) {
      error.textContent = F.problemText(api, answer);
      error.classList.remove("hidden");
      showId.disabled = false;
      return;
    }
    document.getElementById("legal-representative-id").textContent = answer.body.legal_representative.id_number;
    document.getElementById("legal-representative-masked").remove();
    showId.remove();
    error.remove();
  });
})();
