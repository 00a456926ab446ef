// Every form with data-confirm asks first, in a <dialog> that says what will happen.
// data-ask="reason" adds a required field to the dialog, copied into the form as that name.
// "{person}" in the question becomes the chosen option of the form's select[data-person].
(function () {
  "use strict";
  const dialog = document.getElementById("confirm");
  if (!dialog) return;
  const text = document.getElementById("confirm-text");
  const ask = document.getElementById("confirm-ask");
  const askLabel = document.getElementById("confirm-ask-label");
  const input = document.getElementById("confirm-input");
  let pending = null;

  document.addEventListener("submit", function (ev) {
    const form = ev.target;
    if (!form.matches || !form.matches("form[data-confirm]")) return;
    ev.preventDefault();
    let question = form.dataset.confirm;
    const select = form.querySelector("select[data-person]");
    if (select && select.selectedOptions.length) question = question.replace("{person}", select.selectedOptions[0].text);
    text.textContent = question;
    ask.hidden = !form.dataset.ask;
    input.required = Boolean(form.dataset.ask);
    input.value = "";
    askLabel.textContent = form.dataset.askLabel || "";
    pending = form;
    dialog.dataset.action = form.dataset.action || "";
    dialog.showModal();
    (form.dataset.ask ? input : document.getElementById("confirm-ok")).focus();
  });

  dialog.addEventListener("close", function () {
    const form = pending;
    pending = null;
    if (!form || dialog.returnValue !== "ok") return;
    if (form.dataset.ask) {
      let field = form.querySelector('[name="' + form.dataset.ask + '"]');
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = form.dataset.ask;
        form.appendChild(field);
      }
      field.value = input.value;
    }
    form.submit();
  });
})();
