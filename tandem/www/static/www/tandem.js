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
})();
