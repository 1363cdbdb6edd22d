// The owners' QR form: one tap sends once. A phone on a weak signal otherwise invites a
// second tap and two identical messages. The form works without this file.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "owner-form") {
      return;
    }
    if (form.getAttribute("data-sending") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "1");
    var button = form.querySelector("#owner-form-send");
    if (button) {
      button.setAttribute("aria-disabled", "true");
    }
  });
  // Coming back to the page (back button) must not leave it locked.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("owner-form");
    if (form) {
      form.removeAttribute("data-sending");
    }
  });
})();
