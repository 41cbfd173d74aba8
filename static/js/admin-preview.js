/* Cikk admin: keep the Markdown preview looking like the published page.
 *
 * django-markdownx replaces the preview's HTML after every edit and then dispatches
 * "markdownx.update" on its .markdownx wrapper; we typeset the math in it with KaTeX through
 * window.cikkTypeset (js/katex-init.js, the same code the reader site runs). markdownx's events
 * do not bubble, so we listen in the capture phase on the document: that works whatever order
 * the scripts load in. An upload the server refuses (400 with {"image": [message]}) is shown
 * to the editor instead of markdownx's bare "Invalid response".
 * No inline script anywhere: this file is loaded through the ModelAdmin's Media.
 */
(function () {
  "use strict";

  var INVALID = "Invalid response";

  function typeset(element) {
    if (typeof window.cikkTypeset === "function") {
      window.cikkTypeset(element);
    } else if (typeof window.renderMathInElement === "function") {
      window.renderMathInElement(element, {
        delimiters: [
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false
      });
    }
  }

  function previewOf(wrapper) {
    return wrapper && wrapper.querySelector ? wrapper.querySelector(".markdownx-preview") : null;
  }

  function noticeOf(wrapper) {
    var notice = wrapper.querySelector(".cikk-upload-notice");
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "cikk-upload-notice";
      notice.setAttribute("role", "alert");
      notice.hidden = true;
      wrapper.insertBefore(notice, wrapper.firstChild);
    }
    return notice;
  }

  function messageFrom(detail) {
    var response = detail && detail[0];
    if (response && typeof response === "object") {
      var first = Object.keys(response).map(function (key) { return response[key]; })[0];
      if (Array.isArray(first) && first.length) { return String(first[0]); }
      if (typeof first === "string") { return first; }
    }
    return "A kép feltöltése nem sikerült.";
  }

  document.addEventListener("markdownx.init", function (event) {
    var preview = previewOf(event.target);
    if (preview) { preview.classList.add("cikk-content", "article-body"); }
  }, true);

  document.addEventListener("markdownx.update", function (event) {
    var preview = previewOf(event.target);
    if (preview) {
      preview.classList.add("cikk-content", "article-body");
      typeset(preview);
    }
  }, true);

  document.addEventListener("markdownx.fileUploadError", function (event) {
    var wrapper = event.target;
    var notice = noticeOf(wrapper);
    notice.textContent = messageFrom(event.detail);
    notice.hidden = false;
    // markdownx inserts "Invalid response" at the cursor right after this event: take it out.
    var editor = wrapper.querySelector(".markdownx-editor");
    window.setTimeout(function () {
      if (!editor) { return; }
      var end = editor.selectionStart;
      var start = end - INVALID.length;
      if (start >= 0 && editor.value.slice(start, end) === INVALID) {
        editor.value = editor.value.slice(0, start) + editor.value.slice(end);
        editor.selectionStart = editor.selectionEnd = start;
      }
    }, 0);
  }, true);

  document.addEventListener("markdownx.fileUploadEnd", function (event) {
    var notice = event.target.querySelector(".cikk-upload-notice");
    if (notice) { notice.hidden = true; notice.textContent = ""; }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".markdownx .markdownx-preview").forEach(function (preview) {
      preview.classList.add("cikk-content", "article-body");
      typeset(preview);
    });
  });
})();
