/* The console's own calls to /api/v1. The browser sends the session cookie by itself; every call
   also carries the session's CSRF token (from the page's <meta name="csrf-token">) in
   X-CSRF-Token, without which the gateway refuses a change made with the cookie. A refusal is shown
   by its code from the page's #problem-texts block (console/problem_texts.html). */
"use strict";

var sortesConsole = (function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function api(method, path, body) {
    var headers = {"Accept": "application/json", "X-CSRF-Token": csrfToken()};
    var options = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var response = await fetch(path, options);
    var type = response.headers.get("content-type") || "";
    var answer = type.indexOf("json") >= 0 ? await response.json() : null;
    return {ok: response.ok, status: response.status, body: answer};
  }

  function problemText(problem, status) {
    var block = document.getElementById("problem-texts");
    if (!problem || !problem.code || !block) return sortesForms.statusText(status);
    var catalogue = {problems: JSON.parse(block.textContent)};
    var text = sortesForms.render(catalogue, problem);
    (problem.errors || []).forEach(function (error) {
      text += "；" + error.field + "：" + sortesForms.render(catalogue, error, error.field);
    });
    return text;
  }

  // <form data-api="POST /api/v1/units">: the fields go as a JSON object; the outcome is shown in
  // the element marked data-status-for="<form id>", and the page reloads after a success.
  document.addEventListener("submit", async function (event) {
    var form = event.target;
    var target = form.getAttribute("data-api");
    if (!target) return;
    event.preventDefault();
    var method = target.split(" ")[0], path = target.split(" ")[1];
    var data = {};
    new FormData(form).forEach(function (value, name) { data[name] = value; });
    var status = document.querySelector('[data-status-for="' + form.id + '"]');
    status.textContent = form.dataset.saving;
    var answer = await api(method, path, data);
    if (answer.ok) {
      status.textContent = form.dataset.saved;
      window.location.reload();
    } else {
      status.textContent = form.dataset.failed + problemText(answer.body, answer.status);
    }
  });

  return {api: api, problemText: problemText};
})();
