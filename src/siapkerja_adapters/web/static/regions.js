/* siapkerja region picker (templates/profile_address.html; CSP: script-src 'self').
 *
 * The page works without this script: every "Pilih"/"Cari" button reloads it with
 * the next level filled. With it:
 *  (a) the four selects (provinsi, kabupaten/kota, kecamatan, desa/kelurahan) depend
 *      on each other: choosing one loads the next from GET /wilayah/{code}/anak, the
 *      "Pilih" buttons are hidden, and a polite live region says what was loaded;
 *  (b) the village search is a WAI-ARIA 1.2 combobox (input + listbox): typing three
 *      letters or more lists matches from GET /wilayah/cari with their full region
 *      line, inside the deepest level already chosen (all of Indonesia when nothing
 *      matches there); Up/Down move through them, Enter chooses (filling the four
 *      selects), Escape closes the list. When only the first of more matches are
 *      listed, the live region and a note below the list say so;
 *  (c) Enter in the street, RT, RW or postal-code field saves (the form's first
 *      button is the search's, right for the no-script page only);
 *  (d) "Sama dengan alamat KTP" hides the domicile's own fields while ticked.
 * Region names and lines come from the server, formatted by the core; an option's text
 * starts with the name ("Dago (Kelurahan)") so typing its first letters finds it.
 */
(function () {
  "use strict";

  var LEVELS = ["provinsi", "kabupaten", "kecamatan", "desa"];
  var MIN_QUERY = 3;
  var DEBOUNCE_MS = 250;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function picker(form) {
    var texts = form.dataset;
    var selects = {};
    var lines = {};          /* code -> full region line, from what was loaded */
    LEVELS.forEach(function (level) { selects[level] = form.querySelector("#f-" + level); });
    if (!selects.provinsi) { return; }
    var chosenLine = form.querySelector("#chosen-line");

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);
    function say(message) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }

    form.classList.add("regions-enhanced");

    function labelOf(level) {
      var label = form.querySelector("label[for=f-" + level + "]");
      return label ? label.textContent.trim() : level;
    }

    function showLine(code) {
      if (!chosenLine) { return; }
      var line = code && lines[code];
      chosenLine.textContent = line || "";
      chosenLine.hidden = !line;
    }

    function reset(index) {
      /* Empty and disable every level after `index`. */
      for (var i = index + 1; i < LEVELS.length; i += 1) {
        var select = selects[LEVELS[i]];
        var placeholder = select.options[0];
        select.innerHTML = "";
        placeholder.value = "";
        placeholder.textContent = texts.textAbove;
        select.appendChild(placeholder);
        select.disabled = true;
      }
    }

    function load(index, code) {
      /* Fill level index + 1 with the children of `code`; resolves when done. */
      var level = LEVELS[index + 1];
      var select = selects[level];
      reset(index);
      if (!code || !level) { return Promise.resolve(); }
      select.setAttribute("aria-busy", "true");
      say(texts.textLoading);
      return getJSON(texts.childrenUrl.replace("KODE", encodeURIComponent(code)))
        .then(function (body) {
          select.options[0].textContent = texts.textChoose;
          body.regions.forEach(function (region) {
            var option = document.createElement("option");
            option.value = region.code;
            option.textContent = region.option;
            /* The full label where the option shortened it (a regency, a village). */
            if (region.option !== region.name) { option.title = region.label; }
            lines[region.code] = region.line;
            select.appendChild(option);
          });
          select.disabled = false;
          select.removeAttribute("aria-busy");
          say(format(texts.textLoaded, { label: labelOf(level), count: body.regions.length }));
        })
        .catch(function () {
          select.removeAttribute("aria-busy");
          form.classList.remove("regions-enhanced");   /* the "Pilih" buttons come back */
          say(texts.textFailed);
        });
    }

    LEVELS.forEach(function (level, index) {
      selects[level].addEventListener("change", function () {
        var code = selects[level].value;
        if (level === "desa") {
          showLine(code);
          return;
        }
        showLine("");
        load(index, code);
      });
    });
    /* The village the server chose has its line printed already. */
    if (selects.desa.value && chosenLine) { lines[selects.desa.value] = chosenLine.textContent; }

    function choose(region) {
      /* Select every level of a village found by the search, loading each list. */
      var code = region.code;
      lines[code] = region.line;
      selects.provinsi.value = code.slice(0, 2);
      return load(0, code.slice(0, 2))
        .then(function () { selects.kabupaten.value = code.slice(0, 4); return load(1, code.slice(0, 4)); })
        .then(function () { selects.kecamatan.value = code.slice(0, 6); return load(2, code.slice(0, 6)); })
        .then(function () {
          selects.desa.value = code;
          showLine(code);
          say(region.line);
        });
    }

    searchBox(form, texts, say, choose, selects);
    saveOnEnter(form);
  }

  function searchBox(form, texts, say, choose, selects) {
    var input = form.querySelector("#f-cari");
    if (!input) { return; }
    var list = document.createElement("ul");
    list.id = "f-cari-list";
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", texts.textMatches);
    list.hidden = true;
    input.closest(".field").appendChild(list);
    var more = document.createElement("p");     /* "10 pertama dari 128 …" */
    more.className = "hint results-more";
    more.hidden = true;
    input.closest(".field").appendChild(more);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var found = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      more.hidden = true;
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      var items = list.querySelectorAll("[role=option]");
      active = index;
      Array.prototype.forEach.call(items, function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      var region = found[index];
      if (!region) { return; }
      input.value = region.name;
      close();
      choose(region);
    }

    function show(regions, total) {
      found = regions;
      list.innerHTML = "";
      regions.forEach(function (region, i) {
        var item = document.createElement("li");
        item.id = "f-cari-opt-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = region.line;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { pick(i); });
        list.appendChild(item);
      });
      active = -1;
      if (regions.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        if (total > regions.length) {
          var counts = { shown: regions.length, total: total };
          more.textContent = format(texts.textMoreNote, counts);
          more.hidden = false;
          say(format(texts.textMore, counts));
        } else {
          more.hidden = true;
          say(format(texts.textResults, { count: regions.length }));
        }
      } else {
        close();
        say(texts.textNone);
      }
    }

    function search() {
      var text = input.value.trim();
      if (text.length < MIN_QUERY) { close(); return; }
      var ticket = ++asked;
      /* The deepest level chosen: a district, else a regency, else a province. */
      var scope = selects.kecamatan.value || selects.kabupaten.value || selects.provinsi.value;
      var url = texts.searchUrl + "?q=" + encodeURIComponent(text.slice(0, 60));
      var first = getJSON(url + (scope ? "&dalam=" + scope : ""));
      first
        .then(function (body) {
          return body.regions.length || !scope ? body : getJSON(url);
        })
        .then(function (body) { if (ticket === asked) { show(body.regions, body.total); } })
        .catch(function () { if (ticket === asked) { close(); say(texts.textFailed); } });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && found.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); return; }
        mark(active + 1 >= found.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) { mark(active <= 0 ? found.length - 1 : active - 1); }
      } else if (event.key === "Enter") {
        event.preventDefault();           /* never the form's search reload */
        if (open && active >= 0) {
          pick(active);
        } else {
          window.clearTimeout(timer);
          search();
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  function saveOnEnter(form) {
    var save = form.querySelector(".save-button");
    ["jalan", "rt", "rw", "kode_pos"].forEach(function (name) {
      var input = form.querySelector("#f-" + name);
      if (!input || !save) { return; }
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          save.click();
        }
      });
    });
  }

  function sameAddress(form) {
    var box = form.querySelector("#f-sama");
    var fields = form.querySelector("#address-fields");
    if (!box || !fields) { return; }
    function apply() { fields.hidden = box.checked; }
    box.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.address-form");
    if (!form) { return; }
    picker(form);
    sameAddress(form);
  });
}());
