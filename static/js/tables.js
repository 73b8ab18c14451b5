/* Wide tables on narrow screens.
 *
 * A table wider than the screen scrolls sideways inside its own box, so the
 * page itself never becomes wider than the screen (covenant.css keeps every
 * .table-scroll box to the width of its column). A box that actually scrolls
 * is made a named, focusable region, so a keyboard can scroll it too; boxes
 * that fit stay out of the tab order. Without JavaScript the tables that
 * templates already wrap in .overflow-auto still scroll.
 */
(function () {
  "use strict";

  function label(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = table.closest("section, article");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    if (heading && heading.textContent.trim()) return heading.textContent.trim();
    return "Table";
  }

  var boxes = [];
  document.querySelectorAll("main table").forEach(function (table) {
    var box = table.parentElement;
    if (!box.classList.contains("overflow-auto") && !box.classList.contains("table-scroll")) {
      box = document.createElement("div");
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    box.classList.add("table-scroll");
    box.dataset.label = label(table);
    boxes.push(box);
  });

  function mark() {
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", box.dataset.label + " (scrolls sideways)");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  mark();
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  });
})();
