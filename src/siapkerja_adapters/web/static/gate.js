/* siapkerja gate screen (/petugas/gerbang): checks without reloading, and the camera.
 *
 * The page works without this script (the form posts, the server redirects back
 * with the answer). With it:
 *  (a) the code form's two buttons ask the page's JSON endpoint instead (same
 *      origin, the session cookie and the CSRF token in X-CSRF-Token) and the
 *      answer is drawn in place, the photo included;
 *  (b) "Pindai dengan kamera" reads the access-code QR from the device camera with
 *      the browser's own BarcodeDetector where it has one for QR codes, else with
 *      the vendored barcode-detector ponyfill (ZXing-C++ in WebAssembly, loaded
 *      from this site only when needed), and checks each new code read.
 * No inline code, no innerHTML with server data: every text is set as text.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-gate]");
  if (!root) { return; }

  var checkUrl = root.getAttribute("data-check-url");
  var csrf = root.getAttribute("data-csrf");
  var form = root.querySelector("[data-gate-form]");
  var input = form.querySelector("input[name=code]");
  var area = root.querySelector("[data-gate-answer-area]");
  var countLine = root.querySelector("[data-gate-count]");
  var camera = root.querySelector("[data-gate-camera]");
  var startButton = root.querySelector("[data-gate-camera-start]");
  var stopButton = root.querySelector("[data-gate-camera-stop]");
  var video = root.querySelector("[data-gate-video]");
  var status = root.querySelector("[data-gate-camera-status]");
  var oneStep = root.querySelector("[data-gate-one-step]");
  var words = {};
  ["admit", "cancel", "checking", "network", "starting", "ready", "denied", "unsupported", "photo-alt", "no-photo"]
    .forEach(function (name) { words[name] = root.getAttribute("data-t-" + name) || ""; });

  var busy = false;
  var stream = null;
  var detector = null;
  var scanning = false;
  var lastRead = "";
  var lastReadAt = 0;
  var failures = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function show(answer, code, typed) {
    area.textContent = "";
    var box = element("div", "gate-answer gate-" + answer.tone);
    box.setAttribute("data-gate-answer", "");
    var verdict = element("p", "gate-verdict");
    var icon = element("span", "gate-icon", answer.icon);
    icon.setAttribute("aria-hidden", "true");
    verdict.appendChild(icon);
    verdict.appendChild(document.createTextNode(" "));
    verdict.appendChild(element("span", "", answer.title));
    box.appendChild(verdict);
    if (answer.preview || answer.masked_name) {
      var holder = element("div", "gate-holder");
      /* The photo with every valid code, a one-step admission too: the face check. */
      if (answer.photo) {
        var img = element("img", "gate-photo");
        img.src = answer.photo;  /* a data: URI from the server (CSP img-src allows data:) */
        img.alt = words["photo-alt"].replace("{name}", answer.masked_name);
        holder.appendChild(img);
      } else if (answer.preview) {
        holder.appendChild(element("p", "gate-no-photo", words["no-photo"]));
      }
      holder.appendChild(element("p", "gate-name", answer.masked_name));
      box.appendChild(holder);
    }
    box.appendChild(element("p", "gate-detail", answer.detail));
    if (answer.preview) {
      var decide = element("div", "gate-decide");
      var admit = element("button", "button gate-admit", words.admit);
      admit.type = "button";
      admit.setAttribute("data-gate-admit", "");
      admit.addEventListener("click", function () { ask(code, "admit", typed); });
      var cancel = element("button", "button secondary", words.cancel);
      cancel.type = "button";
      cancel.addEventListener("click", function () {
        area.textContent = "";
        resume();
        input.focus();
      });
      decide.appendChild(admit);
      decide.appendChild(cancel);
      box.appendChild(decide);
    }
    area.appendChild(box);
    if (answer.count) { countLine.textContent = answer.count; }
    /* A code typed (or typed by a hand-held scanner) is followed by the next one: the
     * field keeps the focus (the live region still announces the answer). A preview
     * waits for a decision, and a camera read leaves the keyboard closed. */
    if (typed && !answer.preview) { input.focus(); } else { area.focus(); }
  }

  function problem(text) {
    area.textContent = "";
    var box = element("div", "gate-answer gate-stop");
    var verdict = element("p", "gate-verdict");
    var icon = element("span", "gate-icon", "✕");
    icon.setAttribute("aria-hidden", "true");
    verdict.appendChild(icon);
    verdict.appendChild(document.createTextNode(" "));
    verdict.appendChild(element("span", "", text));
    box.appendChild(verdict);
    area.appendChild(box);
    area.focus();
  }

  function ask(code, action, typed) {
    if (busy) { return; }
    busy = true;
    status.textContent = words.checking;
    fetch(checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ code: code, action: action })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      busy = false;
      status.textContent = stream ? words.ready : "";
      if (result.status === 401 && result.body.signin) {
        window.location.assign(result.body.signin);  /* the gate's key no longer works */
        return;
      }
      if (result.status !== 200) {
        problem(result.body.message || words.network);
        resume();
        return;
      }
      input.value = "";
      show(result.body, result.body.token || code, typed);
      if (!result.body.preview) { resumeSoon(); }
    }).catch(function () {
      busy = false;
      problem(words.network);
      resume();
    });
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var action = submitter && submitter.value === "admit" ? "admit" : "preview";
    var code = input.value.trim();
    if (!code || !window.fetch) { return; }  /* the server answers an empty code in words */
    event.preventDefault();
    ask(code, action, true);
  });

  /* --- the camera --------------------------------------------------------------- */

  function loadPonyfill() {
    return new Promise(function (resolve, reject) {
      if (window.BarcodeDetectionAPI) { resolve(window.BarcodeDetectionAPI); return; }
      var script = document.createElement("script");
      script.src = root.getAttribute("data-ponyfill-url");
      script.onload = function () { resolve(window.BarcodeDetectionAPI); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function makeDetector() {
    if (detector) { return Promise.resolve(detector); }
    var native = window.BarcodeDetector && window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats().catch(function () { return []; })
      : Promise.resolve([]);
    return native.then(function (formats) {
      if (formats.indexOf("qr_code") >= 0) {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        root.setAttribute("data-gate-decoder", "native");
        return detector;
      }
      return loadPonyfill().then(function (api) {
        var wasm = root.getAttribute("data-wasm-url");
        /* The ponyfill would fetch its .wasm from a CDN: this site serves its own copy. */
        api.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? wasm : prefix + path; }
          },
          fireImmediately: true
        });
        detector = new api.BarcodeDetector({ formats: ["qr_code"] });
        root.setAttribute("data-gate-decoder", "zxing-wasm");
        return detector;
      });
    });
  }

  function tick() {
    if (!stream || !scanning) { return; }
    if (busy || video.readyState < 2) { window.setTimeout(tick, 200); return; }
    detector.detect(video).then(function (found) {
      var value = found.length ? String(found[0].rawValue || "") : "";
      var now = Date.now();
      if (value && !(value === lastRead && now - lastReadAt < 10000)) {
        lastRead = value;
        lastReadAt = now;
        scanning = false;
        ask(value, oneStep.checked ? "admit" : "preview");
        return;
      }
      window.setTimeout(tick, 250);
      failures = 0;
    }).catch(function () {
      failures += 1;
      if (failures > 20) { stop(); status.textContent = words.unsupported; return; }
      window.setTimeout(tick, 500);
    });
  }

  function resume() {
    if (stream && !scanning) { scanning = true; tick(); }
  }

  function resumeSoon() {
    window.setTimeout(resume, 1500);
  }

  function stop() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    status.textContent = "";
  }

  function start() {
    status.textContent = words.starting;
    makeDetector().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }, function () {
      status.textContent = words.unsupported;
      throw null;
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      return video.play();
    }).then(function () {
      status.textContent = words.ready;
      scanning = true;
      tick();
    }).catch(function (error) {
      var message = error === null ? words.unsupported : words.denied;
      stop();
      status.textContent = message;
    });
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.Promise) {
    camera.hidden = false;
    root.querySelector("[data-gate-camera-hint]").hidden = true;
    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
    window.addEventListener("pagehide", stop);
  }
}());
