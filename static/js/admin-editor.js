/* Cikk admin: the writing screen (replaces django-markdownx's script; its widget stays).
 *
 * - Preview: the text goes to the one server renderer (markdownx's URL, our locked-down view)
 *   PREVIEW_DELAY ms after typing stops, one request at a time; unchanged blocks of the
 *   preview are kept, only new ones are inserted. The math in it is typeset by window.cikkTypeset when the page has
 *   it. The preview then scrolls to the block the caret is in.
 * - Images: a button, paste and drag-and-drop upload through markdownx's upload URL; the image
 *   goes in on its own line after the editor has given its alt text (a dialog).
 * - Nothing lost: the title and body are autosaved as the editor's draft (a server-side row,
 *   never published) after AUTOSAVE_IDLE ms without typing, when a field loses focus and when
 *   the page is hidden; leaving with unsaved changes asks first. A draft found on opening is
 *   offered back (the change form shows its diff).
 * - A live word count and reading time; the public URL follows the slug; on a narrow screen the
 *   editor and the preview take turns (a toggle button).
 * No inline script anywhere: loaded through the body widget's Media.
 */
(function () {
  "use strict";

  var PREVIEW_DELAY = 25;
  var AUTOSAVE_IDLE = 2000;
  var WORDS_PER_MINUTE = 200;
  var WORD = /[\p{L}\p{N}_]+(?:[-'’][\p{L}\p{N}_]+)*/gu;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, data) {
    var body = data instanceof FormData ? data : new URLSearchParams(data);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" }
    });
  }

  function typeset(element) {
    if (typeof window.cikkTypeset === "function") { window.cikkTypeset(element); }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  /* --- Word count: the rendered text, as the server counts it, without the math ---------- */

  function countWords(preview) {
    var walker = document.createTreeWalker(preview, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        var parent = node.parentElement;
        return parent && parent.closest(".katex, .math") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var words = 0;
    var node;
    while ((node = walker.nextNode())) {
      var found = node.nodeValue.match(WORD);
      if (found) { words += found.length; }
    }
    return words;
  }

  /* --- Scrolling boxes in the preview reachable by keyboard (as scroll-regions.js does on
   * the reader's page; axe: scrollable-region-focusable) ---------------------------------- */

  function keyboardRegions(preview) {
    var counts = { table: 0, math: 0 };
    preview.querySelectorAll(".table-container, .math-display").forEach(function (box) {
      var kind = box.classList.contains("math-display") ? "math" : "table";
      counts[kind] += 1;
      var scrolls = box.scrollWidth - box.clientWidth > 1 || box.scrollHeight - box.clientHeight > 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("data-scroll-region", "1"); // our mark, as scroll-regions.js sets it
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (kind === "math" ? "Görgethető képlet " : "Görgethető táblázat ") + counts[kind]);
      }
    });
  }

  /* --- Following the caret: which rendered block shows the line being edited ------------- */

  // A few plain words of the source line (markup stripped), to find in the preview's text.
  function probeOf(line) {
    var plain = line.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]*>/g, " ")
      .replace(/\$\$.*?\$\$/g, " ")
      .replace(/[#>*_`~|[\]\\-]+/g, " ")
      .replace(/^\s*\d+[.)]\s+/, " ")
      .replace(/\s+/g, " ").trim();
    if (plain.length < 6) { return ""; }
    return plain.length > 40 ? plain.slice(0, 40).replace(/\s\S*$/, "") : plain;
  }

  function blocksOf(preview) {
    return preview.querySelectorAll(
      "p, h1, h2, h3, h4, h5, h6, li, pre, blockquote, tr, .math-display, .table-container, img"
    );
  }

  function targetBlock(editor, preview) {
    var text = editor.value;
    var caret = editor.selectionStart || 0;
    var before = text.slice(0, caret);
    var lines = before.split("\n");
    var blocks = blocksOf(preview);
    if (!blocks.length) { return null; }
    // The caret's line, else the nearest line above it with words in it.
    for (var i = lines.length - 1, tries = 0; i >= 0 && tries < 6; i--, tries++) {
      var currentLine = i === lines.length - 1 ? lines[i] + text.slice(caret).split("\n")[0] : lines[i];
      var probe = probeOf(currentLine);
      if (!probe) { continue; }
      for (var j = blocks.length - 1; j >= 0; j--) {
        if (blocks[j].textContent.replace(/\s+/g, " ").indexOf(probe) !== -1) {
          // The innermost match nearest the caret's share of the text.
          return blocks[j];
        }
      }
    }
    // Otherwise by position: the caret's share of the source picks the block.
    var share = text.length ? caret / text.length : 0;
    return blocks[Math.min(blocks.length - 1, Math.round(share * (blocks.length - 1)))];
  }

  function follow(editor, preview) {
    var block = targetBlock(editor, preview);
    if (!block) { return; }
    var box = preview.getBoundingClientRect();
    var top = block.getBoundingClientRect().top - box.top;
    if (top < 0 || top > preview.clientHeight * 0.75) {
      preview.scrollTop += top - preview.clientHeight / 3;
    }
  }

  /* --- One editor ------------------------------------------------------------------------ */

  function setUp(wrapper) {
    var editor = wrapper.querySelector("textarea.markdownx-editor");
    var preview = wrapper.querySelector(".markdownx-preview");
    if (!editor || !preview || wrapper.dataset.cikkEditor) { return; }
    wrapper.dataset.cikkEditor = "1";
    preview.classList.add("cikk-content", "article-body");
    preview.setAttribute("role", "region");
    preview.setAttribute("aria-label", "Előnézet");
    preview.setAttribute("aria-live", "off");
    preview.tabIndex = 0;
    var previewUrl = editor.getAttribute("data-markdownx-urls-path");
    var uploadUrl = editor.getAttribute("data-markdownx-upload-urls-path");

    // Toolbar: upload, view toggle (narrow screens), word count, autosave state.
    var toolbar = el("div", "cikk-editor-toolbar");
    var uploadButton = el("button", "button cikk-upload-button", "Kép feltöltése…");
    uploadButton.type = "button";
    var fileInput = el("input");
    fileInput.type = "file";
    fileInput.accept = "image/jpeg,image/png,image/gif,image/webp";
    fileInput.hidden = true;
    fileInput.multiple = true;
    var toggle = el("button", "button cikk-view-toggle", "Előnézet");
    toggle.type = "button";
    toggle.setAttribute("aria-pressed", "false");
    var counter = el("span", "cikk-word-count");
    counter.setAttribute("aria-live", "polite");
    var status = el("span", "cikk-autosave-status");
    status.setAttribute("aria-live", "polite");
    toolbar.append(uploadButton, fileInput, toggle, counter, status);
    wrapper.parentNode.insertBefore(toolbar, wrapper);

    var notice = el("p", "cikk-upload-notice");
    notice.setAttribute("role", "alert");
    notice.hidden = true;
    wrapper.insertBefore(notice, wrapper.firstChild);

    toggle.addEventListener("click", function () {
      var showing = wrapper.classList.toggle("cikk-show-preview");
      toggle.setAttribute("aria-pressed", showing ? "true" : "false");
      toggle.textContent = showing ? "Szerkesztés" : "Előnézet";
    });

    function updateCount() {
      var words = countWords(preview);
      var minutes = words ? Math.max(1, Math.ceil(words / WORDS_PER_MINUTE)) : 0;
      counter.textContent = words + " szó · " + (minutes ? minutes + " perc olvasás" : "–");
      counter.dataset.words = String(words);
    }

    // Preview: at most one request in flight per editor (an aborted request would still cost
    // the server a render), the newest text sent as soon as the previous answer is in.
    var timer = null;
    var inFlight = false;
    var pending = false;
    var shown = null;
    var sources = new WeakMap(); // preview block → the HTML it was made from
    function apply(html) {
      // Keep the blocks whose HTML did not change (typeset math, images, scroll position);
      // only new or changed blocks are inserted and typeset.
      var template = document.createElement("template");
      template.innerHTML = html; // the server's sanitized HTML, the same readers get
      var pool = new Map();
      Array.prototype.forEach.call(preview.children, function (node) {
        var key = sources.get(node);
        if (key === undefined) { return; }
        if (!pool.has(key)) { pool.set(key, []); }
        pool.get(key).push(node);
      });
      var nodes = [];
      Array.prototype.forEach.call(template.content.childNodes, function (node) {
        if (node.nodeType !== 1) { nodes.push(node); return; }
        var key = node.outerHTML;
        var same = pool.get(key);
        if (same && same.length) {
          nodes.push(same.shift());
        } else {
          sources.set(node, key);
          nodes.push(node);
        }
      });
      // Move nothing that is already in place: the browser then lays out only what changed.
      var cursor = preview.firstChild;
      nodes.forEach(function (node) {
        if (node === cursor) {
          cursor = cursor.nextSibling;
        } else {
          preview.insertBefore(node, cursor);
        }
      });
      while (cursor) {
        var next = cursor.nextSibling;
        preview.removeChild(cursor);
        cursor = next;
      }
    }
    function refresh() {
      var content = editor.value;
      if (content === shown) { return; }
      if (inFlight) { pending = true; return; }
      inFlight = true;
      post(previewUrl, { content: content }).then(function (response) {
        return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
      }).then(function (html) {
        shown = content;
        apply(html);
        typeset(preview);
        // Scrolling and counting need a layout: after this frame, not before it.
        window.requestAnimationFrame(function () {
          follow(editor, preview);
          updateCount();
          keyboardRegions(preview);
        });
        wrapper.dispatchEvent(new CustomEvent("markdownx.update", { detail: html }));
      }).catch(function () { /* shown again on the next edit */ }).then(function () {
        inFlight = false;
        if (pending) { pending = false; refresh(); }
      });
    }
    editor.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PREVIEW_DELAY);
    });
    ["click", "keyup"].forEach(function (name) {
      editor.addEventListener(name, function (event) {
        if (name === "keyup" && !/^(Arrow|Page|Home|End)/.test(event.key || "")) { return; }
        follow(editor, preview);
      });
    });
    refresh();

    // Images.
    function showNotice(message) {
      notice.textContent = message;
      notice.hidden = !message;
    }

    function askAlt() {
      return new Promise(function (resolve) {
        var dialog = el("dialog", "cikk-alt-dialog");
        var form = el("form");
        form.method = "dialog";
        var label = el("label", null, "Helyettesítő szöveg (alt): mit mutat a kép?");
        var input = el("input", "vTextField");
        input.type = "text";
        input.id = "cikk-alt-input";
        input.required = true;
        label.htmlFor = input.id;
        var ok = el("button", "button default", "Beszúrás");
        ok.value = "ok";
        var cancel = el("button", "button", "Alt nélkül");
        cancel.value = "cancel";
        cancel.formNoValidate = true;
        var buttons = el("p");
        buttons.append(ok, " ", cancel);
        form.append(label, input, buttons);
        dialog.append(form);
        document.body.append(dialog);
        dialog.addEventListener("close", function () {
          var alt = dialog.returnValue === "ok" ? input.value.trim() : "";
          dialog.remove();
          resolve(alt.replace(/[[\]\n]/g, " "));
        });
        dialog.showModal();
        input.focus();
      });
    }

    function insertOnOwnLine(markdown, position) {
      var text = editor.value;
      var before = text.slice(0, position);
      var after = text.slice(position);
      var lead = !before ? "" : /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var tail = !after ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      editor.value = before + lead + markdown + tail + after;
      var caret = (before + lead + markdown + tail).length;
      editor.focus();
      editor.selectionStart = editor.selectionEnd = caret;
      editor.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function upload(file) {
      var position = editor.selectionEnd;
      var data = new FormData();
      data.append("image", file);
      showNotice("");
      status.textContent = "Kép feltöltése…";
      return post(uploadUrl, data).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          return { ok: response.ok, json: json };
        });
      }).then(function (result) {
        status.textContent = "";
        var code = result.json && result.json.image_code;
        var match = code && /\]\(([^)\s]+)\)/.exec(code);
        if (!result.ok || !match) {
          var errors = result.json && result.json.image;
          showNotice(errors && errors.length ? String(errors[0]) : "A kép feltöltése nem sikerült.");
          return;
        }
        return askAlt().then(function (alt) {
          insertOnOwnLine("![" + alt + "](" + match[1] + ")", position);
        });
      }).catch(function () {
        status.textContent = "";
        showNotice("A kép feltöltése nem sikerült (nincs kapcsolat a szerverrel).");
      });
    }

    function uploadAll(files) {
      var chain = Promise.resolve();
      Array.prototype.forEach.call(files, function (file) {
        chain = chain.then(function () { return upload(file); });
      });
      return chain;
    }

    uploadButton.addEventListener("click", function () { fileInput.click(); });
    fileInput.addEventListener("change", function () {
      if (fileInput.files.length) { uploadAll(fileInput.files); }
      fileInput.value = "";
    });
    editor.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length) {
        event.preventDefault();
        uploadAll(files);
      }
    });
    editor.addEventListener("dragover", function (event) { event.preventDefault(); });
    editor.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) {
        event.preventDefault();
        uploadAll(files);
      }
    });

    return { editor: editor, status: status };
  }

  /* --- Autosave, leaving with unsaved changes, restoring a draft ------------------------- */

  function setUpAutosave(body, status) {
    var config = document.getElementById("cikk-editor-config");
    var form = body.form;
    if (!config || !form) { return; }
    var url = config.dataset.autosaveUrl;
    var title = form.querySelector("#id_title");
    var saved = { title: title ? title.value : "", body: body.value };
    var stored = { title: saved.title, body: saved.body };
    var formChanged = false;
    var submitting = false;
    var timer = null;

    function current() { return { title: title ? title.value : "", body: body.value }; }
    function differs(a, b) { return a.title !== b.title || a.body !== b.body; }
    function payload(values) {
      return {
        article: config.dataset.article || "",
        base_version: config.dataset.baseVersion || "",
        title: values.title,
        body: values.body
      };
    }

    var saving = false;
    var again = false;
    function autosave() {
      window.clearTimeout(timer);
      if (saving) { again = true; return; } // one save at a time, the newest text next
      var values = current();
      if (!differs(values, stored)) { return; }
      saving = true;
      status.textContent = "Piszkozat mentése…";
      post(url, payload(values)).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (json) {
        stored = values;
        status.textContent = "Piszkozat mentve " + json.saved;
        status.dataset.saved = "1";
      }).catch(function () {
        status.textContent = "A piszkozat mentése nem sikerült; a szöveg még itt van.";
      }).then(function () {
        saving = false;
        if (again) { again = false; autosave(); }
      });
    }

    function edited() {
      status.dataset.saved = "";
      status.textContent = "Mentetlen változás";
      window.clearTimeout(timer);
      timer = window.setTimeout(autosave, AUTOSAVE_IDLE);
    }

    [title, body].forEach(function (field) {
      if (!field) { return; }
      field.addEventListener("input", edited);
      field.addEventListener("blur", autosave);
    });
    form.addEventListener("input", function () { formChanged = true; });
    form.addEventListener("change", function () { formChanged = true; });
    form.addEventListener("submit", function () { submitting = true; });

    window.addEventListener("beforeunload", function (event) {
      if (submitting || !(formChanged || differs(current(), saved))) { return; }
      event.preventDefault();
      event.returnValue = "";
    });
    // A tab being closed or hidden: one last save that the browser delivers after the page.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "hidden" || submitting) { return; }
      var values = current();
      if (!differs(values, stored) || !navigator.sendBeacon) { return; }
      var data = new FormData();
      var fields = payload(values);
      Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
      data.append("csrfmiddlewaretoken", csrfToken());
      if (navigator.sendBeacon(url, data)) { stored = values; }
    });

    var offer = document.querySelector(".cikk-draft-offer");
    var restore = document.getElementById("cikk-draft-restore");
    var discard = document.getElementById("cikk-draft-discard");
    var data = document.getElementById("cikk-draft-data");
    if (offer && restore && data) {
      restore.addEventListener("click", function () {
        var draft = JSON.parse(data.textContent);
        if (title) { title.value = draft.title; }
        body.value = draft.body;
        stored = { title: draft.title, body: draft.body };
        formChanged = true;
        body.dispatchEvent(new Event("input", { bubbles: true }));
        offer.hidden = true;
        status.textContent = "Piszkozat visszaállítva – mentse a cikket";
      });
    }
    if (offer && discard) {
      discard.addEventListener("click", function () {
        post(url, { article: config.dataset.article || "", discard: "1" }).then(function () {
          offer.hidden = true;
        });
      });
    }
  }

  function setUpPublicUrl() {
    var slug = document.getElementById("id_slug");
    var target = document.querySelector("[data-cikk-public-url]");
    if (!slug || !target) { return; }
    function update() {
      var value = slug.value.trim();
      if (!value) { return; }
      var url = target.dataset.cikkPublicUrl + value + "/";
      target.textContent = url;
      if (target.tagName === "A") { target.setAttribute("href", new URL(url).pathname); }
    }
    slug.addEventListener("input", update);
    slug.addEventListener("change", update);
    // prepopulate.js fills the slug from the title without an input event on the slug.
    var title = document.getElementById("id_title");
    // (prepopulate.js listens to keyup, change and focus: run after it.)
    if (title) {
      ["input", "keyup", "change"].forEach(function (name) {
        title.addEventListener(name, function () { window.setTimeout(update, 0); });
      });
    }
  }

  // select2 (the admin's autocomplete) names its combobox after the selected text only, and
  // its search field not at all: give both the name of the field they stand for.
  function labelAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var name = select.getAttribute("aria-label") ||
        (select.id && document.querySelector("label[for='" + select.id + "']") || {}).textContent ||
        "Választás";
      name = String(name).replace(/:\s*$/, "");
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) { return; }
      function label() {
        container.querySelectorAll(
          ".select2-selection, .select2-search__field, [role=textbox], [role=combobox]"
        ).forEach(function (el) {
          if (el.getAttribute("aria-label") !== name) { el.setAttribute("aria-label", name); }
        });
      }
      label();
      if (!container.dataset.cikkLabelled) {
        // select2 rebuilds its search field on every change: name the new one too.
        container.dataset.cikkLabelled = "1";
        new MutationObserver(label).observe(container, { childList: true, subtree: true });
      }
    });
  }

  function start() {
    var first = null;
    document.querySelectorAll(".markdownx").forEach(function (wrapper) {
      var made = setUp(wrapper);
      if (made && !first) { first = made; }
    });
    if (first) { setUpAutosave(first.editor, first.status); }
    setUpPublicUrl();
    // Whenever django's autocomplete.js builds a widget (on load, for a new inline row).
    var queued = false;
    new MutationObserver(function (records) {
      if (queued) { return; }
      var built = records.some(function (record) {
        return Array.prototype.some.call(record.addedNodes, function (node) {
          return node.nodeType === 1 && node.classList.contains("select2");
        });
      });
      if (!built) { return; }
      queued = true;
      window.requestAnimationFrame(function () { queued = false; labelAutocompletes(); });
    }).observe(document.body, { childList: true, subtree: true });
    labelAutocompletes();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
