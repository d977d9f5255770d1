/* The profile pages' progressive enhancement (CSP: script-src 'self', no inline code).
 *
 * Everything works without it: entries are added and edited on their own pages, moved and
 * removed by small forms (removal asks on a page of its own), skills are a textarea. It adds:
 *  (a) Hapus asks in a dialog and posts the removal at once (with the entry's fingerprint);
 *  (b) an "ongoing" checkbox (Masih bekerja di sini, …) disables the end it stands for;
 *  (c) skills as tags: a chip per skill with a "Hapus keahlian X" button, Enter or a comma
 *      adds, Backspace in the empty box removes the last, a live region says what changed;
 *      the same textarea (one skill a line) is what the form submits;
 *  (d) after a move or an edit, focus on the entry the address names, so a keyboard user
 *      keeps their place.
 */
(function () {
  "use strict";

  function fmt(template, name) {
    return (template || "").split("{name}").join(name);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  /* (a) Hapus: a confirm dialog, then the same POST the confirmation page makes. */
  function removeLinks() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-remove-action]") : null;
      if (!link) { return; }
      event.preventDefault();
      if (!window.confirm(link.getAttribute("data-remove-confirm"))) { return; }
      var form = document.createElement("form");
      form.method = "post";
      form.action = link.getAttribute("data-remove-action");
      form.appendChild(hidden("csrf_token", csrfToken()));
      form.appendChild(hidden("fp", link.getAttribute("data-fp")));
      document.body.appendChild(form);
      form.submit();
    });
  }

  /* (b) An ongoing checkbox disables its end field (the server ignores the end then too). */
  function ongoingBoxes() {
    var boxes = document.querySelectorAll("input[data-clears]");
    Array.prototype.forEach.call(boxes, function (box) {
      var target = document.getElementById(box.getAttribute("data-clears"));
      if (!target) { return; }
      function sync() { target.disabled = box.checked; }
      box.addEventListener("change", sync);
      sync();
    });
  }

  /* (c) The skills tag editor over the textarea. */
  function tagEditor(root) {
    var textarea = root.querySelector("textarea");
    var label = root.querySelector("label");
    if (!textarea || !label) { return; }
    var max = parseInt(root.getAttribute("data-max"), 10) || 50;
    var maxLength = parseInt(root.getAttribute("data-max-length"), 10) || 60;
    var tags = [];

    function clean(text) { return text.replace(/\s+/g, " ").trim(); }
    function key(name) {
      // As the server compares (profile.name_key): any case or width ("ＰＨＰ" is "PHP"),
      // invisible format characters ignored. toLowerCase, not toLocaleLowerCase: a Turkish
      // browser's "I" must not match "ı" where the server's does not; ß and final sigma
      // as Python's casefold folds them.
      return name.normalize("NFKC").replace(/\p{Cf}/gu, "").toLowerCase()
        .replace(/ß/g, "ss").replace(/ς/g, "σ").normalize("NFKC");
    }
    function has(name) {
      var wanted = key(name);
      return tags.some(function (tag) { return key(tag) === wanted; });
    }
    textarea.value.split(/[,\n;]/).forEach(function (part) {
      var name = clean(part);
      if (name && !has(name)) { tags.push(name); }
    });

    var list = document.createElement("ul");
    list.className = "tag-list";
    list.setAttribute("aria-label", root.getAttribute("data-list-label"));
    var input = document.createElement("input");
    input.type = "text";
    // The box takes the textarea's id: the label and the error summary's link lead to it.
    input.id = textarea.id;
    textarea.id = textarea.id + "-text";
    input.autocomplete = "off";
    input.maxLength = maxLength;
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.id = input.id + "-input-hint";
    hint.textContent = root.getAttribute("data-input-hint");
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");

    var described = (textarea.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(hint.id);
    input.setAttribute("aria-describedby", described.join(" "));
    if (textarea.getAttribute("aria-invalid")) { input.setAttribute("aria-invalid", "true"); }
    label.textContent = root.getAttribute("data-input-label");
    label.htmlFor = input.id;
    textarea.hidden = true;
    // The chips first, then the box that adds one, its label right above it.
    label.parentNode.insertBefore(list, label);
    textarea.parentNode.insertBefore(input, textarea);
    textarea.parentNode.insertBefore(hint, textarea);
    textarea.parentNode.insertBefore(live, textarea);

    function say(text) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
    function sync() { textarea.value = tags.join("\n"); }
    function render() {
      list.textContent = "";
      tags.forEach(function (name, index) {
        var item = document.createElement("li");
        item.className = "tag";
        var text = document.createElement("span");
        text.className = "tag-name";
        text.textContent = name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "tag-remove";
        remove.setAttribute("aria-label", fmt(root.getAttribute("data-remove-label"), name));
        remove.textContent = "×";
        remove.addEventListener("click", function () { removeAt(index, true); });
        item.appendChild(text);
        item.appendChild(remove);
        list.appendChild(item);
      });
      list.hidden = tags.length === 0;
      sync();
    }
    function add(raw) {
      var name = clean(raw);
      if (!name) { return true; }
      if (has(name)) { say(fmt(root.getAttribute("data-duplicate"), name)); return true; }
      if (tags.length >= max) { say(root.getAttribute("data-too-many")); return false; }
      tags.push(name.slice(0, maxLength));
      render();
      say(fmt(root.getAttribute("data-added"), name));
      return true;
    }
    function removeAt(index, moveFocus) {
      var name = tags[index];
      tags.splice(index, 1);
      render();
      say(fmt(root.getAttribute("data-removed"), name));
      if (moveFocus) {
        var buttons = list.querySelectorAll(".tag-remove");
        (buttons[Math.min(index, buttons.length - 1)] || input).focus();
      }
    }
    function takeParts() {
      // A paste or a comma typed mid-text: every finished part becomes a tag.
      var parts = input.value.split(/[,\n;]/);
      if (parts.length < 2) { return; }
      var rest = parts.pop();
      parts.forEach(add);
      input.value = rest;
    }

    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") {
        event.preventDefault();
        if (add(input.value)) { input.value = ""; }
      } else if (event.key === "Backspace" && input.value === "" && tags.length) {
        event.preventDefault();
        removeAt(tags.length - 1, false);
      }
    });
    input.addEventListener("input", takeParts);
    var form = root.closest("form");
    if (form) {
      form.addEventListener("submit", function () {
        if (add(input.value)) { input.value = ""; }
        sync();
      });
    }
    render();
  }

  /* (d) Focus the entry the address names (after a move or an edit). */
  function focusEntry() {
    var id = window.location.hash.slice(1);
    if (!id) { return; }
    var target = document.getElementById(id);
    if (target && target.classList.contains("entry")) { target.focus(); }
  }

  function start() {
    removeLinks();
    ongoingBoxes();
    Array.prototype.forEach.call(document.querySelectorAll("[data-tag-editor]"), tagEditor);
    focusEntry();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
