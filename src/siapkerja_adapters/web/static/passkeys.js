/* siapkerja: passkeys (WebAuthn) on the security page and the sign-in's second step.
 *
 * CSP: script-src 'self', no inline code. A form marked data-passkey="create" or
 * "get" is shown only where the browser has WebAuthn. On submit it asks the
 * server for the ceremony's options (POST data-options-url with the form's CSRF
 * token), calls navigator.credentials.create/get, and submits the form with the
 * answer as JSON (base64url for binary values) and the ceremony id: the server
 * verifies it (py_webauthn). The challenge lives on the server, single-use.
 */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeOptions(options) {
    options.challenge = toBytes(options.challenge);
    if (options.user) { options.user.id = toBytes(options.user.id); }
    ["excludeCredentials", "allowCredentials"].forEach(function (name) {
      (options[name] || []).forEach(function (item) { item.id = toBytes(item.id); });
    });
    return options;
  }

  function encodeCredential(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function say(form, text) {
    var note = form.querySelector("[data-passkey-error]");
    if (!note) {
      note = document.createElement("p");
      note.className = "notice notice-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-passkey-error", "");
      form.appendChild(note);
    }
    note.textContent = text;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-passkey]"), function (form) {
    form.hidden = false;
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) { return; }  /* the answer is in: let it go */
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var body = new FormData();
      body.append("csrf_token", form.elements.csrf_token.value);
      fetch(form.getAttribute("data-options-url"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) { throw new Error("options " + answer.status); }
          return answer.json();
        })
        .then(function (begun) {
          var options = decodeOptions(JSON.parse(begun.options));
          form.elements.ceremony_id.value = begun.ceremony_id;
          return form.getAttribute("data-passkey") === "create"
            ? navigator.credentials.create({ publicKey: options })
            : navigator.credentials.get({ publicKey: options });
        })
        .then(function (credential) {
          form.elements.credential.value = encodeCredential(credential);
          form.submit();
        })
        .catch(function () {
          busy = false;
          say(form, form.getAttribute("data-error"));
        });
    });
  });
}());
