/*
 * Social feeds: each feed is a <details>. On a wide screen all are shown side
 * by side (site.css shows a closed feed's content there), so they are marked
 * open and their headings do not fold them; on a small screen they are one
 * accordion, the first feed open. Without this script the page still works:
 * only the open state a screen reader announces on a wide screen differs.
 */
(function () {
  "use strict";

  var wide = window.matchMedia("(min-width: 48em)");

  function sync() {
    document.querySelectorAll("[data-feeds]").forEach(function (block) {
      block.querySelectorAll("details.feed").forEach(function (feed, index) {
        feed.open = wide.matches || index === 0;
      });
    });
  }

  document.querySelectorAll("[data-feeds]").forEach(function (block) {
    block.addEventListener("click", function (event) {
      if (wide.matches && event.target.closest("summary")) {
        event.preventDefault();
      }
    });
  });
  wide.addEventListener("change", sync);
  sync();
})();
