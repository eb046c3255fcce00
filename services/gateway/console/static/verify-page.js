/* The verification page: reads the record and key set (pasted, from files, or the key set fetched
   from its address), runs SortesVerifier and shows each check. Its words come from the page's
   JSON block #verifier-messages (the console's message catalogue). Everything is shown with
   textContent: nothing from a record is ever read as HTML. */
"use strict";

(function () {
  var words = JSON.parse(document.getElementById("verifier-messages").textContent);
  var $ = function (id) { return document.getElementById(id); };

  function fill(template, params) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return params && params[name] !== undefined ? String(params[name]) : whole;
    });
  }

  function detailText(key, params) {
    var template = words.details[key];
    if (template === undefined) return key;
    var own = Object.assign({}, params);
    if (own.what === "candidates_word" || own.what === "result_word") own.what = words.details[own.what];
    return fill(template, own);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  var printButton = $("print");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  var verifyButton = $("verify");
  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    $("insecure-context").classList.remove("hidden");
    verifyButton.disabled = true;
    $("fetch-keys").disabled = true;
    return;
  }
  SortesVerifier.supportsEd25519().then(function (supported) {
    if (!supported) {
      $("no-ed25519").classList.remove("hidden");
      verifyButton.disabled = true;
    }
  });

  /* A chosen file goes into its text box; a file that is not UTF-8 is refused as the CLI does. */
  function loadFile(inputId, targetId, what) {
    $(inputId).addEventListener("change", async function (event) {
      var file = event.target.files[0];
      if (!file) return;
      try {
        $(targetId).value = new TextDecoder("utf-8", {fatal: true, ignoreBOM: true}).decode(await file.arrayBuffer());
      } catch (error) {
        $(targetId).value = "";
        showUnusable(fill(words.not_utf8, {what: words[what]}));
      }
    });
  }
  loadFile("record-file", "record", "record_word");
  loadFile("keys-file", "keys", "keys_word");

  async function fetchKeys() {
    $("keys-status").textContent = words.fetching;
    var response;
    try {
      response = await fetch($("keys-url").value, {credentials: "omit", cache: "no-store"});
    } catch (error) {
      throw new Error(fill(words.fetch_failed, {detail: error.message}));
    }
    if (!response.ok) {
      throw new Error(fill(words.fetch_failed, {detail: detailText("http_status", {status: response.status})}));
    }
    $("keys").value = await response.text();
    var count = "?";
    try { count = JSON.parse($("keys").value).keys.length; } catch (error) { /* reported when verifying */ }
    $("keys-status").textContent = fill(words.fetched, {count: count});
  }

  $("fetch-keys").addEventListener("click", function () {
    fetchKeys().catch(function (error) { $("keys-status").textContent = error.message; });
  });

  function resetResults() {
    $("results").classList.remove("hidden");
    $("results").removeAttribute("data-outcome");
    $("summary").classList.add("hidden");
    $("checks").tBodies[0].replaceChildren();
    $("summary-rows").replaceChildren();
    $("summary-result").tBodies[0].replaceChildren();
    $("checked-profile").classList.add("hidden");
  }

  function showOutcome(kind, text) {
    var outcome = $("outcome");
    outcome.className = "outcome-" + kind;
    outcome.textContent = text;
    $("results").setAttribute("data-outcome", kind);
  }

  function showUnusable(reason) {
    resetResults();
    showOutcome("unusable", fill(words.unusable, {reason: reason}));
  }

  function unusableReason(error) {
    var what = error.source === "keys" ? words.keys_word : words.record_word;
    var detail = detailText(error.key, error.params);
    if (error.key === "json_syntax" || error.key === "duplicate_member") {
      return fill(words.not_json, {what: what, detail: detail});
    }
    return fill(error.source === "keys" ? words.keyset_format : words.record_format, {detail: detail});
  }

  /* Which profile the record was checked under (sortes-draw/1 or sortes-draw/1-sm), below the outcome. */
  function showProfile(profile) {
    var line = $("checked-profile");
    if (!line || !profile) return;
    line.textContent = fill(words.checked_profile, {profile: profile.name, description: profile.description});
    line.classList.remove("hidden");
  }

  /* The failing check said as a failure, with what the verifier found when it says more. */
  function failureText(outcome) {
    var text = (words.failed_checks || {})[outcome.failed] || words.checks[outcome.failed];
    var failed = outcome.checks.filter(function (check) { return check.name === outcome.failed; })[0];
    return failed && failed.key ? text + "（" + detailText(failed.key, failed.params) + "）" : text;
  }

  function showChecks(outcome) {
    var body = $("checks").tBodies[0];
    outcome.checks.forEach(function (check) {
      var row = element("tr");
      row.setAttribute("data-check", check.name);
      row.setAttribute("data-status", check.status);
      var name = element("td", words.checks[check.name]);
      name.appendChild(element("div", check.name, "muted mono"));
      row.appendChild(name);
      row.appendChild(element("td", words[check.status], "status-" + check.status));
      row.appendChild(element("td", check.key ? detailText(check.key, check.params) : ""));
      body.appendChild(row);
    });
  }

  /* An instant of the record (UTC, RFC 3339) as Beijing time, as the printed record shows it. */
  function beijingTime(text) {
    var moment = new Date(text);
    if (isNaN(moment.getTime())) return text;
    return new Date(moment.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19).replace("T", " ");
  }

  function showSummary(record) {
    var rows = $("summary-rows");
    ["draw_id", "project_code", "purpose", "committed_at", "drawn_at", "witness", "key_id"].forEach(function (name) {
      if (typeof record[name] !== "string") return;
      var row = element("tr");
      row.appendChild(element("th", words[name]));
      var value = record[name];
      if (name.slice(-3) === "_at") value = beijingTime(value);
      if (name === "purpose" && words.purposes && words.purposes[value]) value = words.purposes[value];
      row.appendChild(element("td", value));
      rows.appendChild(row);
    });
    var body = $("summary-result").tBodies[0];
    var result = record.result !== null && typeof record.result === "object" ? record.result : {};
    Object.keys(result).sort().forEach(function (field) {
      var entry = result[field] || {};
      var row = element("tr");
      row.appendChild(element("td", field, "mono"));
      [entry.primaries, entry.reserves].forEach(function (ids) {
        row.appendChild(element("td", Array.isArray(ids) ? ids.join("、") : "", "mono"));
      });
      body.appendChild(row);
    });
    $("summary").classList.remove("hidden");
  }

  verifyButton.addEventListener("click", async function () {
    if (!$("record").value.trim()) {
      showUnusable(words.no_record);
      return;
    }
    resetResults();
    showOutcome("working", words.working);
    try {
      if (!$("keys").value.trim()) await fetchKeys();
      var outcome = await SortesVerifier.verifyTexts($("record").value, $("keys").value);
      showSummary(outcome.record);
      showChecks(outcome);
      if (outcome.ok) {
        showOutcome("ok", fill(words.overall_ok, {count: outcome.checks.length}));
        showProfile(outcome.profile);
      } else {
        showOutcome("failed", fill(words.overall_failed, {check: failureText(outcome)}));
      }
    } catch (error) {
      showUnusable(error instanceof SortesVerifier.Unusable ? unusableReason(error) : error.message);
    }
  });

  /* One click from the public bulletin: /verify?record=/api/v1/bulletin/<draw>/record loads that
     record (this site's own address, nothing else) and checks it against the published key set. */
  var asked = new URLSearchParams(window.location.search).get("record");
  if (asked && /^\/api\/v1\/bulletin\/[0-9a-f-]{36}\/record$/.test(asked)) {
    (async function () {
      try {
        var response = await fetch(asked, {credentials: "omit", cache: "no-store"});
        if (!response.ok) throw new Error(fill(words.fetch_failed, {detail: detailText("http_status", {status: response.status})}));
        $("record").value = await response.text();
      } catch (error) {
        showUnusable(error.message);
        return;
      }
      verifyButton.click();
    })();
  }
})();
