/* "Print" buttons ([data-print]): open the browser's print dialogue. Without JavaScript the
 * button stays hidden and the page says to use the browser's print command. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
