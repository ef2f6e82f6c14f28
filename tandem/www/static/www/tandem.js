// Page behaviours bound through data attributes: the Content-Security-Policy forbids inline handlers.
(function () {
  "use strict";
  // <select data-autosubmit>: submit its form on change (organisation switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // <form data-confirm="Question ?">: ask before submitting (deletions).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // <input list="…" data-suggest="URL">: fill the datalist from URL?q=… ({"results": [{"label": …}]}) as one
  // types; the option's value is the label's part before « — » (an identifier the search understands), or the
  // whole label with data-suggest-value="label" (a job picked: « Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse »).
  // With data-suggest-separator=";" the field is a list: the last entry is looked up and replaced.
  document.querySelectorAll("input[data-suggest][list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list")), timer;
    if (!list) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var separator = input.dataset.suggestSeparator, head = "", query = input.value;
      if (separator && query.lastIndexOf(separator) >= 0) {
        head = query.slice(0, query.lastIndexOf(separator) + 1) + " ";
        query = query.slice(query.lastIndexOf(separator) + 1);
      }
      if (query.trim().length < 2) { return; }
      timer = setTimeout(function () {
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(query.trim()), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (s) {
              var option = document.createElement("option");
              option.value = head + (input.dataset.suggestValue === "label" ? s.label : s.label.split(" — ")[0]);
              option.label = s.label;
              list.appendChild(option);
            });
          });
      }, 200);
    });
  });
})();
