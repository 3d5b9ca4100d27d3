/*
 * The page editor's account checkboxes follow "Where to post".
 *
 * "Usual accounts": the site's usual accounts (marked data-usual by the
 * server) ticked, all boxes fixed. "Do not post": none ticked, all fixed.
 * "The accounts I choose": the boxes free again, with the editor's own ticks
 * back if they made some before switching away. The server renders the first
 * state the same way, so nothing changes on load.
 */
(function () {
  "use strict";

  function follow(form) {
    var mode = form.querySelector("input[name=social_mode]:checked");
    if (!mode) return;
    form.querySelectorAll("input[name=social_accounts]").forEach(function (box) {
      if (mode.value === "custom") {
        if (box.disabled && box.dataset.chosen !== undefined) {
          box.checked = box.dataset.chosen === "true";
        }
        delete box.dataset.chosen;
        box.disabled = false;
        return;
      }
      if (!box.disabled) box.dataset.chosen = String(box.checked);
      box.checked = mode.value === "default" && box.dataset.usual === "true";
      box.disabled = true;
    });
  }

  function init() {
    document.querySelectorAll("input[name=social_mode]").forEach(function (radio) {
      var form = radio.form;
      if (!form || form.dataset.usualAccounts) return;
      form.dataset.usualAccounts = "on";
      form.addEventListener("change", function (event) {
        if (event.target.name === "social_mode") follow(form);
      });
      follow(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
