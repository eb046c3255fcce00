/* The review queue: GET /api/v1/expert-applications?status=… and GET /api/v1/expert-change-requests
   (pending ones), each row with a reason and approve / reject (POST …/{number}/approve or /reject;
   a rejection needs the reason, the service says so by its field error). A change of employer also
   takes the day the old one was left (default: the approval's day). */
"use strict";

(function () {
  var A = sortesAdmin, w = A.words, S = sortesApplications;
  var filter = document.getElementById("application-filter");
  var applicationBody = document.querySelector("#application-table tbody");
  var changeBody = document.querySelector("#change-table tbody");
  var names = {};

  // A small form in the decision cell: the reason, buttons, and where the refusal goes.
  function decisionForm(prefix, number, withLeftOn, after) {
    var form = document.createElement("form");
    form.className = "admin-form decision";
    form.noValidate = true;
    form.dataset.number = number;
    var reason = document.createElement("input");
    reason.type = "text"; reason.name = "reason"; reason.maxLength = 500;
    reason.setAttribute("aria-label", w.reason + " " + number); reason.placeholder = w.reason;
    form.appendChild(reason);
    var reasonError = document.createElement("span");
    reasonError.className = "field-error"; reasonError.dataset.errorFor = "reason";
    form.appendChild(reasonError);
    if (withLeftOn) {
      var label = document.createElement("label");
      label.textContent = w.left_on;
      var leftOn = document.createElement("input");
      leftOn.type = "date"; leftOn.name = "left_on";
      label.appendChild(leftOn);
      form.appendChild(label);
      var leftError = document.createElement("span");
      leftError.className = "field-error"; leftError.dataset.errorFor = "left_on";
      form.appendChild(leftError);
    }
    var general = document.createElement("p");
    general.className = "error form-error hidden"; general.setAttribute("role", "alert");
    form.appendChild(general);
    function decide(verdict) {
      return async function () {
        var body = {};
        var text = A.value(form, "reason");
        if (text) body.reason = text;
        if (verdict === "approve" && withLeftOn && A.value(form, "left_on")) body.left_on = A.value(form, "left_on");
        var answer = await A.send(form, "POST", prefix + encodeURIComponent(number) + "/" + verdict, body);
        if (answer.ok) after();
      };
    }
    form.appendChild(A.button(w.approve, decide("approve")));
    form.appendChild(document.createTextNode(" "));
    form.appendChild(A.button(w.reject, decide("reject"), "secondary"));
    return form;
  }

  // The applications a page at a time, with the total and page numbers, as every list pages.
  var PAGE_SIZE = 20, current = 1, pages = 1;

  function showPages() {
    var holder = document.getElementById("application-pages");
    holder.textContent = "";
    for (var n = 1; n <= pages; n++) {
      if (n !== 1 && n !== pages && Math.abs(n - current) > 2) continue;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = String(n);
      if (n === current) button.setAttribute("aria-current", "page");
      button.addEventListener("click", loadApplications.bind(null, n));
      holder.appendChild(button);
    }
    document.getElementById("application-previous").disabled = current <= 1;
    document.getElementById("application-next").disabled = current >= pages;
  }

  async function loadApplications(pageNumber) {
    var status = document.getElementById("applications-status");
    var chosen = filter.elements.status.value;
    var wanted = typeof pageNumber === "number" ? pageNumber : 1;
    var answer = await A.call("GET", "/api/v1/expert-applications?page_size=" + PAGE_SIZE + "&page=" + wanted +
                              (chosen ? "&status=" + encodeURIComponent(chosen) : ""));
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    current = answer.body.page;
    pages = Math.max(1, Math.ceil(answer.body.total / PAGE_SIZE));
    applicationBody.textContent = "";
    answer.body.items.forEach(function (item) {
      var row = document.createElement("tr");
      row.dataset.number = item.number;
      A.cell(row, item.number, "mono");
      A.cell(row, (w.kinds[item.kind] || item.kind) +
        (item.recommended_by_unit ? A.format(w.by_unit, {
          unit: w.unit_names[item.recommended_by_unit] || item.recommended_by_unit}) : ""));
      A.cell(row, item.name + " " + item.birth_date);
      A.cell(row, item.unit_name);
      A.cell(row, [item.title].concat(item.certificates.map(function (c) {
        return c.name + (c.expires_on ? A.format(w.valid_until, {day: c.expires_on}) : "");
      })).join("；"));
      A.cell(row, item.years_in_field);
      A.cell(row, S.fieldList(item.fields, w.primary_mark, names));
      var personal = A.cell(row, item.personal_data.id_number + " / " + item.personal_data.phone, "mono");
      if (item.duplicate_of) {
        var warning = document.createElement("p");
        warning.className = "warning";
        warning.textContent = A.format(w.duplicate, {expert: item.duplicate_of});
        personal.appendChild(warning);
      }
      A.cell(row, A.localTime(item.submitted_at));
      var decision = A.cell(row, "");
      if (item.status === "pending") {
        decision.appendChild(decisionForm("/api/v1/expert-applications/", item.number, false, load));
      } else {
        decision.textContent = item.status === "approved" ? A.format(w.approved_as, {expert: item.expert_code})
          : A.format(w.rejected, {reason: item.decision_reason});
      }
      applicationBody.appendChild(row);
    });
    status.textContent = answer.body.items.length ? "" : w.none;
    document.getElementById("application-total").textContent = A.format(w.total, {
      total: answer.body.total, page: current, pages: pages});
    showPages();
  }

  function describe(changes) {
    var parts = [];
    Object.keys(w.change_labels).forEach(function (key) {
      var value = changes[key];
      if (value === null || value === undefined) return;
      parts.push(w.change_labels[key] + "：" + (key === "fields" ? S.fieldList(value, w.primary_mark, names) : value));
    });
    return parts.join("；");
  }

  async function loadChanges() {
    var status = document.getElementById("changes-status");
    var answer = await A.call("GET", "/api/v1/expert-change-requests?status=pending&page_size=200");
    if (!answer.ok) { status.textContent = w.load_failed + A.problemText(answer); return; }
    changeBody.textContent = "";
    answer.body.items.forEach(function (item) {
      var row = document.createElement("tr");
      row.dataset.number = item.number;
      A.cell(row, item.number, "mono");
      A.cell(row, item.expert_code + " " + item.expert_name);
      A.cell(row, describe(item.changes));
      A.cell(row, describe(item.current));
      A.cell(row, A.localTime(item.submitted_at));
      A.cell(row, "").appendChild(decisionForm("/api/v1/expert-change-requests/", item.number,
                                               Boolean(item.changes.unit_uscc), load));
      changeBody.appendChild(row);
    });
    status.textContent = answer.body.items.length ? "" : w.no_changes;
  }

  async function load() {
    var fields = await A.call("GET", "/api/v1/fields");
    if (fields.ok) names = S.fieldNames(fields.body);
    loadApplications();
    loadChanges();
  }

  filter.elements.status.addEventListener("change", function () { loadApplications(1); });
  filter.addEventListener("submit", function (event) { event.preventDefault(); loadApplications(1); });
  document.getElementById("application-previous").addEventListener("click", function () {
    loadApplications(current - 1);
  });
  document.getElementById("application-next").addEventListener("click", function () {
    loadApplications(current + 1);
  });
  load();
})();
