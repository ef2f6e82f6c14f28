// Polls an import's progress (imports/run_detail.html) until it ends, then reloads the page.
(function () {
  "use strict";
  var box = document.getElementById("import-run");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      document.getElementById("import-progress").value = s.percent;
      document.getElementById("import-percent").textContent = s.percent;
      document.getElementById("import-label").textContent = s.label;
      document.getElementById("import-status").textContent = s.status_label;
      box.dataset.status = s.status;
      if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, 400); }
    }).catch(function () { window.setTimeout(poll, 1000); });
  }
  poll();
})();
