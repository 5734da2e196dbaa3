/* SmartBilling CRM panel: small progressive enhancement. Everything works without it.
 * Written for this project; licence in LICENSE.txt next to this file. */
(function () {
  "use strict";
  // Filters apply as soon as a select or checkbox changes (the button stays for keyboards
  // and for browsers without JavaScript).
  document.querySelectorAll("[data-autoenviar]").forEach(function (el) {
    el.addEventListener("change", function () {
      if (el.form) { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); }
    });
  });
  // A refused form: take the keyboard to its first field with an error.
  var invalido = document.querySelector("[aria-invalid=true]");
  if (invalido) { invalido.focus(); }
  // Closing an opportunity as lost cannot be undone from here: ask first.
  document.querySelectorAll("button.peligro").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      if (!window.confirm("¿Marcar la oportunidad como perdida?")) { ev.preventDefault(); }
    });
  });
})();
