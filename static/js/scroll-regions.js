/* Cikk: wide tables and formulas that scroll sideways inside their box (content.css) become
 * keyboard-reachable regions, and show which way there is more to see.
 *
 * Why in the browser and not in the stored HTML: whether a box scrolls depends on the reader's
 * screen (a table fits a desktop and scrolls on a phone) and on KaTeX's typeset width. A box
 * that scrolls gets tabindex="0", role="region" and an aria-label (so keyboard users can reach
 * and scroll it: WCAG 2.1.1, axe's scrollable-region-focusable), and the classes
 * scroll-more-left / scroll-more-right, which content.css turns into a fading edge; a box that
 * fits gets none of that (no useless tab stop). The labels come from the page, translated:
 * data-label-table / data-label-math on .article-body. Loaded with `defer`; formulas come
 * typeset from the server; a ResizeObserver on each box and its content follows font loads
 * (KaTeX's web fonts), rotations and window changes.
 */
(function () {
  "use strict";

  var SELECTOR = ".table-container, .math-display";
  var MARK = "data-scroll-region";

  // "Görgethető táblázat 2": numbered in page order per kind, as each region needs its own
  // name among the page's landmarks.
  function labelFor(box, root) {
    var isMath = box.classList.contains("math-display");
    var kind = isMath ? ".math-display" : ".table-container";
    var number = Array.prototype.indexOf.call(root.querySelectorAll(kind), box) + 1;
    return (root.getAttribute(isMath ? "data-label-math" : "data-label-table") || "") + " " + number;
  }

  function update(box, root) {
    var overflows = box.scrollWidth - box.clientWidth > 1;
    if (overflows && !box.hasAttribute("tabindex")) {
      box.setAttribute(MARK, "1");
      box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) {
        box.setAttribute("role", "region");
      }
      if (!box.hasAttribute("aria-label")) {
        box.setAttribute("aria-label", labelFor(box, root));
      }
    } else if (!overflows && box.getAttribute(MARK) === "1") {
      box.removeAttribute(MARK);
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
    var left = overflows && box.scrollLeft > 1;
    var right = overflows && box.scrollLeft + box.clientWidth < box.scrollWidth - 1;
    box.classList.toggle("scroll-more-left", left);
    box.classList.toggle("scroll-more-right", right);
  }

  function watch(root) {
    var boxes = root.querySelectorAll(SELECTOR);
    function updateAll() {
      for (var j = 0; j < boxes.length; j++) {
        update(boxes[j], root);
      }
    }
    // The box's own size and its content's: KaTeX's web fonts arriving widen a formula
    // without resizing the box around it.
    var observer =
      typeof window.ResizeObserver === "function"
        ? new window.ResizeObserver(updateAll)
        : null;
    for (var i = 0; i < boxes.length; i++) {
      (function (box) {
        update(box, root);
        box.addEventListener(
          "scroll",
          function () {
            update(box, root);
          },
          { passive: true }
        );
        if (observer) {
          observer.observe(box);
          if (box.firstElementChild) {
            observer.observe(box.firstElementChild);
          }
        }
      })(boxes[i]);
    }
    if (!observer) {
      window.addEventListener("resize", updateAll);
    }
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(updateAll);
    }
    window.addEventListener("load", updateAll);
  }

  var roots = document.querySelectorAll(".article-body");
  for (var i = 0; i < roots.length; i++) {
    watch(roots[i]);
  }
})();
