/* siapkerja web pages: the one script (CSP: script-src 'self', no inline code).
 *
 * Every page works without it. It adds:
 *  (a) the six OTP boxes: typing a digit moves on, Backspace moves back, and
 *      pasting (or an SMS autofill of) the whole code fills every box;
 *  (b) the card page's access code: a fresh code and QR every period, fetched
 *      from the JSON endpoint, the SVG swapped in place;
 *  (c) the resend countdown on the verification page, and focus on an error
 *      summary so keyboard users land on it.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function otpBoxes() {
    var group = document.querySelector("[data-otp]");
    if (!group) { return; }
    var boxes = Array.prototype.slice.call(group.querySelectorAll("[data-otp-digit]"));

    function fill(start, digits) {
      var i = start;
      for (var k = 0; k < digits.length && i < boxes.length; k += 1, i += 1) {
        boxes[i].value = digits.charAt(k);
      }
      var next = boxes[Math.min(i, boxes.length - 1)];
      if (i >= boxes.length) {
        var form = group.closest("form");
        var submit = form && form.querySelector("button[type=submit]");
        (submit || next).focus();
      } else {
        next.focus();
      }
    }

    boxes.forEach(function (box, index) {
      box.addEventListener("focus", function () { box.select(); });
      box.addEventListener("input", function () {
        var digits = box.value.replace(/\D/g, "");
        if (digits.length > 1) {          /* autofill (or a fast typist) filled one box */
          box.value = "";
          fill(index, digits);
        } else {
          box.value = digits;
          if (digits && index + 1 < boxes.length) { boxes[index + 1].focus(); }
        }
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Backspace" && !box.value && index > 0) {
          boxes[index - 1].focus();
          boxes[index - 1].value = "";
          event.preventDefault();
        } else if (event.key === "ArrowLeft" && index > 0) {
          boxes[index - 1].focus();
        } else if (event.key === "ArrowRight" && index + 1 < boxes.length) {
          boxes[index + 1].focus();
        }
      });
      box.addEventListener("paste", function (event) {
        var text = (event.clipboardData || window.clipboardData).getData("text") || "";
        var digits = text.replace(/\D/g, "");
        if (!digits) { return; }
        event.preventDefault();
        fill(digits.length >= boxes.length ? 0 : index, digits.slice(0, boxes.length));
      });
    });
  }

  function cooldown() {
    var note = document.querySelector("[data-cooldown]");
    if (!note) { return; }
    var left = parseInt(note.getAttribute("data-cooldown"), 10);
    var template = note.getAttribute("data-template");
    var minutes = note.getAttribute("data-template-minutes");
    var ready = note.getAttribute("data-ready");
    var target = note.querySelector("time") || note;
    // A wait of an hour or more keeps the server's words ("besok pukul 09.15 WIB").
    if (!(left > 0 && left < 3600)) { return; }
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        target.textContent = ready;
      } else if (left >= 60 && minutes) {
        // Whole minutes, rounded up, as the server words them: never "300 detik".
        target.textContent = minutes.replace("{m}", String(Math.ceil(left / 60)));
      } else {
        target.textContent = template.replace("{s}", String(left));
      }
    }, 1000);
  }

  function accessCode() {
    var section = document.querySelector("[data-access-url]");
    if (!section || !window.fetch || !window.DOMParser) { return; }
    var url = section.getAttribute("data-access-url");
    var period = parseInt(section.getAttribute("data-period"), 10) || 30;
    var holder = section.querySelector("[data-access-qr]");
    var expiry = section.querySelector("[data-access-expiry]");
    var shortCode = section.querySelector("[data-short-code]");
    var shortExpiry = section.querySelector("[data-short-expiry]");

    function schedule(seconds) {
      window.setTimeout(refresh, Math.max(1, seconds) * 1000);
    }

    function refresh() {
      window.fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        var parsed = new window.DOMParser().parseFromString(data.svg, "image/svg+xml");
        var svg = parsed.documentElement;
        if (svg && svg.nodeName.toLowerCase() === "svg") {
          holder.replaceChildren(document.importNode(svg, true));
        }
        if (expiry) {
          expiry.textContent = data.expires_label;
          expiry.setAttribute("datetime", data.expires_at);
        }
        if (shortCode && data.short_code) { shortCode.textContent = data.short_code; }
        if (shortExpiry) { shortExpiry.textContent = data.expires_label; }
        schedule(data.expires_in || period);
      }).catch(function () {
        schedule(10);                      /* offline for a moment: try again soon */
      });
    }

    schedule(parseInt(section.getAttribute("data-expires-in"), 10) || period);
  }

  function focusErrors() {
    /* role="alert" announces the summary; focus brings keyboard users to it too */
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  otpBoxes();
  cooldown();
  accessCode();
  focusErrors();
}());
