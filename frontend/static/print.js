// The printable pages' "Skriv ut" button (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});
