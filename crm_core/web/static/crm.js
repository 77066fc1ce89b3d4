// Small improvements on top of pages that work without scripts.
(function () {
  "use strict";

  // Filter forms: choosing from a list applies it at once.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        form.requestSubmit();
      });
    });
  });

  // Save buttons: a second click while the first save runs sends nothing.
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    var form = button.form;
    if (!form) {
      return;
    }
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    });
  });
})();
