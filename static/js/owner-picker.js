// The owner picker of the slip and complaint forms (SLIP-02, CMP-03). The plain form works
// without this file: its search button sends the form back with the matches and every
// value kept. With it: typing searches as you go (hx-get on the [data-owner-query] input),
// Enter and the search button search in place instead of sending the form, and choosing a
// person puts their name and unit in the contact field when the user has typed nothing
// there (what they typed is never overwritten).
(function () {
  "use strict";

  function queryInput(form) { return form && form.querySelector("[data-owner-query]"); }

  function search(input) {
    if (!window.htmx || !input) return false;
    window.htmx.trigger(input, "search");
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches || !input.matches("[data-owner-query]")) return;
    if (search(input)) event.preventDefault();
  });

  // Before any submit handler (the slip form's offline queue listens for "submit").
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-owner-search]");
    if (button && search(queryInput(button.form))) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var choice = event.target;
    if (!choice.matches || !choice.matches("input[type=radio][name=owner_choice]") || !choice.form) return;
    var contact = choice.form.elements.namedItem("owner_contact");
    if (!contact || !("value" in contact)) return;
    var ours = contact.dataset.filledByPicker;
    // Empty, or still holding what the picker put there for an earlier choice: ours to set.
    if (contact.value.trim() && contact.value !== ours) return;
    var text = choice.dataset.contact || "";
    contact.value = text;
    if (text) contact.dataset.filledByPicker = text;
    else delete contact.dataset.filledByPicker;
  });
})();
