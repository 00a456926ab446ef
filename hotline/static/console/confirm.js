// Every form with data-confirm asks first, in a <dialog> that says what will happen.
// data-ask="reason" adds a required field to the dialog, copied into the form as that name.
// "{person}" in the question becomes the chosen option of the form's select[data-person], and
// "{choice}" that of its select[data-choice]; "{selected}" the references of the list's checkboxes
// that name the form (form="..."), checked, and "{count}" how many.
// After a login that followed an ended session, #kept holds what was typed into a form: it goes
// back into that form (its fields, or its dialog's question when the form asks), shown and focused.
(function () {
  "use strict";
  const dialog = document.getElementById("confirm");
  if (!dialog) return;
  const text = document.getElementById("confirm-text");
  const ask = document.getElementById("confirm-ask");
  const askLabel = document.getElementById("confirm-ask-label");
  const input = document.getElementById("confirm-input");
  let pending = null;
  let keptData = null;  // {action, fields}: typed before the session ended

  function pathOf(form) { return new URL(form.action, location.href).pathname; }

  document.addEventListener("submit", function (ev) {
    const form = ev.target;
    if (!form.matches || !form.matches("form[data-confirm]")) return;
    ev.preventDefault();
    let question = form.dataset.confirm;
    const select = form.querySelector("select[data-person]");
    if (select && select.selectedOptions.length) question = question.replace("{person}", select.selectedOptions[0].text);
    const choice = form.querySelector("select[data-choice]");
    if (choice && choice.selectedOptions.length) question = question.replace("{choice}", choice.selectedOptions[0].text);
    if (form.id && question.indexOf("{selected}") >= 0) {
      // The reports picked in the list (checkboxes naming this form), named one by one.
      const picked = [...document.querySelectorAll('input[form="' + form.id + '"]:checked')].map(function (el) { return el.dataset.ref; });
      if (!picked.length) return;
      let said = picked.join(", ");
      try { said = new Intl.ListFormat(document.documentElement.lang || undefined, {type: "conjunction"}).format(picked); } catch (e) { /* plain commas */ }
      question = question.replace("{selected}", said).replace("{count}", String(picked.length));
    }
    text.textContent = question;
    ask.hidden = !form.dataset.ask;
    input.required = Boolean(form.dataset.ask);
    input.value = "";
    if (keptData && form.dataset.ask && pathOf(form) === keptData.action && keptData.fields[form.dataset.ask]) {
      input.value = keptData.fields[form.dataset.ask];
      keptData = null;  // used once
    }
    askLabel.textContent = form.dataset.askLabel || "";
    pending = form;
    dialog.dataset.action = form.dataset.action || "";
    dialog.showModal();
    (form.dataset.ask ? input : document.getElementById("confirm-ok")).focus();
  });

  const kept = document.getElementById("kept");
  if (kept) {
    try {
      const data = JSON.parse(kept.textContent);
      keptData = {action: data.action, fields: data.fields || {}};
      const form = [...document.querySelectorAll("form[action]")].find(function (f) { return pathOf(f) === data.action; });
      if (form) {
        Object.entries(keptData.fields).forEach(function ([name, value]) {
          if (form.dataset.ask === name) return;  // asked again in the dialog, filled from keptData
          const field = form.querySelector('[name="' + name + '"]:not([type=hidden])');
          if (field && field.type !== "checkbox") field.value = value;
        });
        form.classList.add("kept");
        form.scrollIntoView({block: "center"});
        const button = form.querySelector("button[type=submit]");
        if (button) button.focus({preventScroll: true});
      }
    } catch (e) { /* nothing kept worth restoring */ }
  }

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
