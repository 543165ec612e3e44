// The process map's step table: one form, saved at once. This marks the rows changed since
// the page was drawn, says how many are unsaved next to "Spara stegen", and asks before the
// page is left with unsaved rows. The form works the same without it.
(function () {
  "use strict";
  const form = document.getElementById("steps-form");
  if (!form) return;
  const note = document.getElementById("unsaved-note");
  const rows = Array.from(form.querySelectorAll("tbody tr"));
  const fields = (row) => Array.from(row.querySelectorAll("input:not([type=hidden]), select"));
  const original = new Map();
  rows.forEach((row) => fields(row).forEach((field) => original.set(field, field.value)));
  let submitting = false;

  function changedRows() {
    return rows.filter((row) => fields(row).some((field) => field.value !== original.get(field)));
  }

  function update() {
    const changed = changedRows();
    rows.forEach((row) => row.classList.toggle("row-changed", changed.includes(row)));
    if (!note) return;
    note.textContent = changed.length === 0 ? "" :
      changed.length === 1 ? "1 rad har osparade ändringar." :
      `${changed.length} rader har osparade ändringar.`;
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", () => { submitting = true; });
  window.addEventListener("beforeunload", (event) => {
    if (submitting || changedRows().length === 0) return;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave the page?" question
  });
})();
