/* "Copy link" on a programme page: copies the page address instead of following the link
 * (without JavaScript, or without clipboard access, the link is simply the address). */
(function () {
  "use strict";

  document.querySelectorAll("[data-copy-link]").forEach(function (link) {
    var status = document.getElementById(link.getAttribute("data-status"));
    link.addEventListener("click", function (event) {
      if (!navigator.clipboard || !window.isSecureContext) {
        return;
      }
      event.preventDefault();
      navigator.clipboard.writeText(link.href).then(
        function () {
          if (status) {
            status.textContent = link.getAttribute("data-copied");
          }
        },
        function () {
          window.location.href = link.href;
        }
      );
    });
  });
})();
