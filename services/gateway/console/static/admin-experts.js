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
      cell(row, expert.fields.map(function (f) { return f.primary ? f.code + "★" : f.code; }).join("、"));
      cell(row, statuses[expert.status] || expert.status); cell(row, expert.trained_until);
      body.appendChild(row);
    });
    status.textContent = answer.body.items.length ? section.dataset.total
      .replace("{total}", answer.body.total).replace("{page}", current).replace("{pages}", pages)
      : section.dataset.none;
    document.getElementById("expert-previous").disabled = current <= 1;
    document.getElementById("expert-next").disabled = current >= pages;
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(1); });
  document.getElementById("expert-previous").addEventListener("click", function () { load(current - 1); });
  document.getElementById("expert-next").addEventListener("click", function () { load(current + 1); });
  load(1);
})();
