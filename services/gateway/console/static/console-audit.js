/* The audit page's "verify" button: GET /api/v1/audit/verification with the session cookie, a
   progress line while the chains are walked, then one row per service. */
"use strict";

(function () {
  var section = document.getElementById("verification");
  var button = document.getElementById("verify-chains");
  if (!section || !button) return;
  var cell = sortesForms.cell;

  button.addEventListener("click", async function () {
    var status = document.getElementById("verify-status");
    var table = document.getElementById("verify-results");
    var body = table.querySelector("tbody");
    var names = JSON.parse(section.dataset.names);
    button.disabled = true;
    section.setAttribute("aria-busy", "true");
    status.textContent = section.dataset.verifying;
    body.textContent = "";
    table.hidden = true;
    try {
      var answer = await sortesConsole.api("GET", "/api/v1/audit/verification");
      if (!answer.ok) {
        status.textContent = section.dataset.failed + sortesConsole.problemText(answer.body, answer.status);
        return;
      }
      answer.body.forEach(function (chain) {
        var row = document.createElement("tr");
        row.setAttribute("data-service", chain.service);
        cell(row, names[chain.service] || chain.service);
        cell(row, chain.ok ? section.dataset.ok : section.dataset.broken, chain.ok ? "chain-ok" : "chain-broken");
        cell(row, chain.entries);
        cell(row, chain.head_seq, "mono");
        cell(row, chain.head_hash, "mono audit-hash");
        cell(row, chain.checkpoints_checked);
        cell(row, chain.problem);
        cell(row, chain.first_bad_seq, "mono");
        body.appendChild(row);
      });
      table.hidden = false;
      status.textContent = "";
    } catch (error) {
      status.textContent = section.dataset.failed + error;
    } finally {
      button.disabled = false;
      section.removeAttribute("aria-busy");
    }
  });
})();
