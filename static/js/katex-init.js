/* Cikk: typeset the renderer's math with KaTeX (our own static copy, no CDN, no inline script).
 *
 * Load order (all `defer`, so they run in this order after the document is parsed):
 *   1. katex/katex.min.js
 *   2. katex/contrib/auto-render.min.js
 *   3. js/katex-init.js   (this file)
 * and katex/katex.min.css as a stylesheet.
 *
 * articles/rendering.py emits <span class="math math-inline">\(…\)</span> and
 * <div class="math math-display">\[…\]</div>. Only those elements are typeset, and only the
 * \(…\) and \[…\] delimiters are known: a "$5" in prose, or a "\(" an author wrote in a code
 * block, is never touched. Each formula is typeset on its own, so a bad one never breaks the
 * rest of the page: one KaTeX cannot parse is shown by KaTeX as its TeX in a .katex-error span
 * (throwOnError: false) and its element gets the .math-error class (content.css); anything
 * KaTeX throws puts the element's TeX back, also with .math-error; a formula auto-render cannot
 * delimit (unbalanced braces) is left as its TeX text, also with .math-error. With JavaScript
 * off, or before this runs, readers see the TeX source.
 *
 * window.cikkTypeset(element) typesets the math inside an element (the admin's live preview
 * calls it after every update); it is safe to call repeatedly on the same element.
 */
(function () {
  "use strict";

  var OPTIONS = {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false }
    ],
    throwOnError: false,
    errorColor: "#b42318",
    // Authors cannot make KaTeX fetch URLs or emit links/HTML from a formula.
    trust: false,
    strict: "ignore",
    maxExpand: 1000,
    maxSize: 50
  };

  function markError(element, tex, error) {
    element.classList.add("math-error");
    element.textContent = tex;
    if (error && error.message) {
      element.setAttribute("title", error.message);
    }
  }

  function typesetOne(element) {
    if (element.getAttribute("data-typeset") === "1") {
      return;
    }
    var tex = element.textContent;
    try {
      window.renderMathInElement(element, {
        delimiters: OPTIONS.delimiters,
        throwOnError: OPTIONS.throwOnError,
        errorColor: OPTIONS.errorColor,
        trust: OPTIONS.trust,
        strict: OPTIONS.strict,
        maxExpand: OPTIONS.maxExpand,
        maxSize: OPTIONS.maxSize,
        errorCallback: function (message, error) {
          markError(element, tex, error);
        }
      });
      if (element.querySelector(".katex-error")) {
        // KaTeX showed the TeX in red inside; the element says so too, for styles and tests.
        element.classList.add("math-error");
      } else if (!element.querySelector(".katex")) {
        // auto-render could not delimit the formula (e.g. unbalanced braces): the TeX stays as
        // text, and is styled as an error like any other formula KaTeX cannot parse.
        markError(element, tex, { message: "KaTeX: unbalanced braces or delimiters" });
      }
    } catch (error) {
      // Anything KaTeX throws stays inside this one formula.
      markError(element, tex, error);
    }
    element.setAttribute("data-typeset", "1");
  }

  function cikkTypeset(root) {
    root = root || document.body;
    if (!root || typeof window.renderMathInElement !== "function") {
      return;
    }
    var elements = root.querySelectorAll ? root.querySelectorAll(".math") : [];
    if (root.classList && root.classList.contains("math")) {
      typesetOne(root);
    }
    for (var i = 0; i < elements.length; i++) {
      typesetOne(elements[i]);
    }
  }

  window.cikkTypeset = cikkTypeset;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      cikkTypeset(document.body);
    });
  } else {
    cikkTypeset(document.body);
  }
})();
