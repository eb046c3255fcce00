/* The bureau admin's expert list: reads GET /api/v1/experts with the filters of the form,
   one page at a time, and fills the table; each pool number opens the expert's page. */
"use strict";

(function () {
  var PAGE_SIZE = 50;
  var section = document.getElementById("expert-list");
  var form = document.getElementById("expert-filters");
  var status = document.getElementById("expert-status");
  var body = document.querySelector("#expert-table tbody");
  var statuses = JSON.parse(section.dataset.statuses);
  var current = 1, pages = 1;
  var cell = sortesForms.cell;

  var fieldNames = {};
  var chinese = (document.documentElement.lang || "zh").indexOf("zh") === 0;

  function badge(parent, text, kind) {
    var span = document.createElement("span");
    span.className = "badge " + (kind || "");
    span.textContent = text;
    if (parent.textContent) parent.appendChild(document.createTextNode(" "));
    parent.appendChild(span);
  }

  async function loadFieldNames() {
    var answer = await sortesConsole.api("GET", "/api/v1/fields");
    if (!answer.ok) return;
    answer.body.forEach(function (f) { fieldNames[f.code] = chinese ? f.name_zh : f.name_en; });
  }

  // Page numbers around the current page, first and last always.
  function showPages() {
    var holder = document.getElementById("expert-pages");
    holder.textContent = "";
    for (var n = 1; n <= pages; n++) {
      if (n !== 1 && n !== pages && Math.abs(n - current) > 2) continue;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = String(n);
      if (n === current) button.setAttribute("aria-current", "page");
      button.addEventListener("click", load.bind(null, n));
      holder.appendChild(button);
    }
  }

  // A column's header sorts by it: ascending first, then descending.
  document.querySelectorAll("#expert-table a.sort").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var sort = form.elements.sort, key = link.dataset.sort;
      sort.value = sort.value === key ? "-" + key : key;
      load(1);
    });
  });

  function markSort() {
    var value = form.elements.sort.value;
    document.querySelectorAll("#expert-table a.sort").forEach(function (link) {
      var key = link.dataset.sort;
      if (value === key) link.setAttribute("aria-sort", "ascending");
      else if (value === "-" + key) link.setAttribute("aria-sort", "descending");
      else link.removeAttribute("aria-sort");
    });
  }

  async function load(pageNumber) {
    var query = new URLSearchParams({page: String(pageNumber), page_size: String(PAGE_SIZE)});
    new FormData(form).forEach(function (value, name) { if (value) query.set(name, value); });
    status.textContent = section.dataset.loading;
    var answer = await sortesConsole.api("GET", "/api/v1/experts?" + query.toString());
    body.textContent = "";
    if (!answer.ok) {
      status.textContent = section.dataset.error + sortesAdmin.problemText(answer);
      return;
    }
    current = answer.body.page;
    pages = Math.max(1, Math.ceil(answer.body.total / PAGE_SIZE));
    answer.body.items.forEach(function (expert) {
      var row = document.createElement("tr");
      var link = document.createElement("a");
      link.href = "/admin/experts/" + encodeURIComponent(expert.code);
      link.textContent = expert.code;
      cell(row, "").appendChild(link);
      cell(row, expert.name); cell(row, expert.unit_name); cell(row, expert.title);
      cell(row, expert.years_in_field);
      cell(row, expert.fields.map(function (f) {
        var name = fieldNames[f.code] ? fieldNames[f.code] + "（" + f.code + "）" : f.code;
        return f.primary ? name + "★" : name;
      }).join("、"));
      var state = cell(row, "");
      if (expert.status === "suspended" && expert.suspended_until) {
        badge(state, section.dataset.suspendedUntil.replace("{date}", expert.suspended_until), "badge-warn");
      } else {
        badge(state, statuses[expert.status] || expert.status,
              expert.status === "active" ? "badge-ok" : expert.status === "suspended" ? "badge-warn" : "");
      }
      var training = cell(row, expert.trained_until || "");
      if (!expert.trained_until) badge(training, section.dataset.neverTrained, "badge-bad");
      else if (expert.trained_until < section.dataset.today) badge(training, section.dataset.trainingExpired, "badge-bad");
      body.appendChild(row);
    });
    status.textContent = answer.body.items.length ? section.dataset.total
      .replace("{total}", answer.body.total).replace("{page}", current).replace("{pages}", pages)
      : section.dataset.none;
    showPages();
    markSort();
    document.getElementById("expert-previous").disabled = current <= 1;
    document.getElementById("expert-next").disabled = current >= pages;
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(1); });
  document.getElementById("expert-previous").addEventListener("click", function () { load(current - 1); });
  document.getElementById("expert-next").addEventListener("click", function () { load(current + 1); });
  loadFieldNames().then(function () { load(1); });
})();
