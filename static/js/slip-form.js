// Filing a slip from the phone (SLIP-01, SLIP-10, SLIP-11). The plain form works without
// this file; with it: photos are downscaled on the phone before upload, the GPS position is
// filled in, and a slip filed with no signal waits in IndexedDB (idb-keyval) until it can
// be sent, exactly once: the server honours the form's submission_key on every replay.
// Every text shown comes from data-* attributes of #offline-queue, rendered (and
// translated) by the server.
(function () {
  "use strict";

  var FORM = "form[data-slip-form]";
  // the visible "submit" button (the form also has a hidden default one and a search)
  var MAIN_BUTTON = "button[type=submit]";
  var MAX_SIDE = 1600; // px, long side: about 300 KB a photo instead of 3-8 MB (SLIP-10)
  var QUALITY = 0.82;
  var REPLAY_EVERY = 30000; // ms, while something waits and the page is in view

  var store = window.idbKeyval ? window.idbKeyval.createStore("estatedesk-slips", "queue") : null;
  var picked = []; // photos of the form being filled: {blob, name, url}, downscaled
  var pending = []; // downscaling still running
  var sending = false;
  var replaying = false;
  var needsLogin = false;

  function queueBox() { return document.getElementById("offline-queue"); }
  function text(name, values) {
    var box = queueBox();
    var template = (box && box.dataset[name]) || "";
    Object.keys(values || {}).forEach(function (key) { template = template.split("{" + key + "}").join(values[key]); });
    return template;
  }
  function slipForm() { return document.querySelector(FORM); }

  // The CSRF token of this page (the same one htmx sends), from <body hx-headers>.
  function tokenOf(doc) {
    try { return JSON.parse(doc.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  // The phone's clock as ISO 8601 with its offset: the server keeps when it was captured.
  function isoNow() {
    var d = new Date();
    var offset = -d.getTimezoneOffset();
    function two(n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) +
      (offset < 0 ? "-" : "+") + two(offset / 60) + ":" + two(offset % 60);
  }

  // A fresh key for the next slip (the same 22 characters as the server's token_urlsafe(16)).
  function newKey() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function setValue(form, name, value) {
    var input = form.elements.namedItem(name);
    if (input && "value" in input) input.value = value;
  }

  /* ---- photos (SLIP-10) ---- */

  function decode(file) {
    // createImageBitmap honours the phone's EXIF rotation when asked; <img> does by default.
    if (window.createImageBitmap) return createImageBitmap(file, { imageOrientation: "from-image" });
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  // Long side at most 1600 px, JPEG. A file the browser cannot decode (HEIC on most
  // Android browsers) goes as it is: the server re-encodes it.
  function downscale(file, number) {
    return decode(file).then(function (image) {
      var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    }).then(function (blob) {
      return blob ? { blob: blob, name: "photo-" + number + ".jpg" } : { blob: file, name: file.name };
    }, function () {
      return { blob: file, name: file.name };
    });
  }

  function showPhotos() {
    var form = slipForm();
    var input = form && form.querySelector("input[type=file][name=photos]");
    if (!input) return;
    var list = form.querySelector(".photo-picks");
    if (!list) {
      list = document.createElement("ul");
      list.className = "photo-picks";
      input.insertAdjacentElement("afterend", list);
    }
    list.replaceChildren();
    picked.forEach(function (photo, index) {
      var item = document.createElement("li");
      var img = document.createElement("img");
      img.src = photo.url;
      img.alt = photo.name;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-quiet";
      remove.textContent = text("msgRemove");
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(photo.url);
        picked.splice(index, 1);
        showPhotos();
      });
      item.append(img, remove);
      list.append(item);
    });
  }

  function onPhotosPicked(input) {
    var max = Number(input.dataset.maxPhotos || 6);
    var files = Array.prototype.slice.call(input.files || []).slice(0, Math.max(0, max - picked.length - pending.length));
    // The input is emptied so that the next pick adds to the photos instead of replacing them.
    input.value = "";
    files.forEach(function (file) {
      var job = downscale(file, picked.length + pending.length + 1).then(function (photo) {
        photo.url = URL.createObjectURL(photo.blob);
        picked.push(photo);
        showPhotos();
      });
      pending.push(job);
      job.finally(function () { pending.splice(pending.indexOf(job), 1); });
    });
  }

  /* ---- position (SLIP-01) ---- */

  function gpsNote(form, message) {
    var place = form.elements.namedItem("place_text");
    if (!place) return;
    var note = document.getElementById("slip-gps");
    if (!note) {
      note = document.createElement("p");
      note.id = "slip-gps";
      note.className = "hint";
      note.setAttribute("role", "status");
      place.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
  }

  function locate(form) {
    if (form.elements.namedItem("latitude") && form.elements.namedItem("latitude").value) {
      gpsNote(form, text("msgGpsFound", { m: Math.round(Number(form.elements.namedItem("accuracy_m").value) || 0) }));
      return;
    }
    if (!("geolocation" in navigator)) { gpsNote(form, text("msgGpsMissing")); return; }
    gpsNote(form, text("msgGpsWaiting"));
    navigator.geolocation.getCurrentPosition(function (position) {
      var current = slipForm();
      if (!current) return;
      setValue(current, "latitude", position.coords.latitude.toFixed(6));
      setValue(current, "longitude", position.coords.longitude.toFixed(6));
      setValue(current, "accuracy_m", Math.round(position.coords.accuracy));
      gpsNote(current, text("msgGpsFound", { m: Math.round(position.coords.accuracy) }));
    }, function () {
      // Denied or no fix (indoors, basements): the place text is then what says where.
      var current = slipForm();
      if (current) gpsNote(current, text("msgGpsMissing"));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* ---- sending ---- */

  function isSlipPage(response) {
    var prefix = (queueBox() && queueBox().dataset.slipPrefix) || "/slips/";
    var path = new URL(response.url, location.href).pathname;
    return response.ok && path.indexOf(prefix) === 0 && /^\d+\/?$/.test(path.slice(prefix.length));
  }
  function isLoginPage(response) {
    var login = (queueBox() && queueBox().dataset.loginPath) || "/login";
    return new URL(response.url, location.href).pathname === login;
  }

  // A record as IndexedDB keeps it: the form's fields as text, the photos as Blobs.
  function toRecord(form, submitter) {
    var fields = [];
    new FormData(form, submitter).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
    });
    return {
      submission_key: form.elements.namedItem("submission_key").value,
      fields: fields,
      photos: picked.map(function (photo) { return { name: photo.name, blob: photo.blob }; }),
      captured_at: (form.elements.namedItem("captured_at") || {}).value || "",
      queued_at: new Date().toISOString(),
      error: null,
    };
  }

  function post(record, token) {
    var body = new FormData();
    record.fields.forEach(function (pair) { if (pair[0] !== "csrf_token") body.append(pair[0], pair[1]); });
    body.append("csrf_token", token);
    record.photos.forEach(function (photo) { body.append("photos", photo.blob, photo.name); });
    var action = (queueBox() && queueBox().dataset.newUrl) || "/slips/new";
    return fetch(action, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token } });
  }

  // The token of the page may have expired (or belong to an ended session) by the time
  // a queued slip goes: ask the server for a fresh one. null = signed out.
  function freshToken() {
    var url = (queueBox() && queueBox().dataset.newUrl) || "/slips/new";
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (isLoginPage(response)) return null;
      if (!response.ok) throw new Error("token " + response.status);
      return response.text().then(function (html) { return tokenOf(new DOMParser().parseFromString(html, "text/html")); });
    });
  }

  // What the server said about a refused slip: the messages next to its fields.
  function refusal(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var messages = Array.prototype.map.call(doc.querySelectorAll(".error, .form-errors p"), function (el) {
      return el.textContent.trim();
    }).filter(Boolean);
    return messages.filter(function (m, i) { return messages.indexOf(m) === i; }).join(" ") || text("msgRefused");
  }

  // Sends one queued record. Resolves to "sent", "login", "refused" or "later".
  function send(record, retried) {
    return freshToken().then(function (token) {
      if (token === null) return "login";
      return post(record, token).then(function (response) {
        if (isSlipPage(response)) return "sent";
        if (isLoginPage(response)) return "login";
        if (response.status === 400 && !retried) return send(record, true);
        if (response.status >= 500 || response.status === 400 || response.status === 429) return "later";
        return response.text().then(function (html) {
          record.error = refusal(html);
          return window.idbKeyval.set(record.submission_key, record, store).then(function () { return "refused"; });
        });
      });
    });
  }

  function withLock(work) {
    // Two tabs replaying together would be harmless (the key makes it once), but wasteful.
    if (navigator.locks) return navigator.locks.request("estatedesk-slip-queue", work);
    return work();
  }

  function replay() {
    if (!store || replaying || !navigator.onLine) return Promise.resolve();
    replaying = true;
    var sent = 0;
    return withLock(function () {
      return window.idbKeyval.values(store).then(function (records) {
        var waiting = records.filter(function (r) { return !r.error; });
        return waiting.reduce(function (chain, record) {
          return chain.then(function (stop) {
            if (stop) return true;
            return send(record, false).then(function (outcome) {
              needsLogin = outcome === "login";
              if (outcome === "sent") {
                sent += 1;
                return window.idbKeyval.del(record.submission_key, store).then(function () { return false; });
              }
              return outcome === "login" || outcome === "later";
            });
          });
        }, Promise.resolve(false));
      });
    }).catch(function () { /* no signal after all: the next try comes */ }).finally(function () {
      replaying = false;
      if (sent) note(text("msgSent", { n: sent }));
      return showQueue();
    });
  }

  /* ---- the "waiting to send" list ---- */

  function showQueue() {
    var box = queueBox();
    if (!box || !store) return Promise.resolve();
    return window.idbKeyval.values(store).then(function (records) {
      records.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
      box.hidden = records.length === 0 && !box.querySelector("[data-queue-note]").textContent;
      box.querySelector("[data-queue-count]").textContent = records.length;
      var login = box.querySelector("[data-queue-login]");
      login.hidden = !(needsLogin && records.length);
      login.querySelector("span").textContent = text("msgLogin", { n: records.length });
      var list = box.querySelector("[data-queue-list]");
      list.replaceChildren();
      records.forEach(function (record) {
        var item = document.createElement("li");
        item.className = "queue-item";
        var description = (record.fields.filter(function (p) { return p[0] === "description"; })[0] || ["", ""])[1];
        var head = document.createElement("p");
        head.textContent = new Date(record.captured_at || record.queued_at).toLocaleString() + " · " +
          text("msgPhotos", { n: record.photos.length });
        var body = document.createElement("p");
        body.className = "hint";
        body.textContent = description.slice(0, 80);
        item.append(head, body);
        if (record.error) {
          var error = document.createElement("p");
          error.className = "error";
          error.textContent = record.error;
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "btn btn-danger";
          discard.textContent = text("msgDiscard");
          discard.addEventListener("click", function () {
            if (!window.confirm(text("msgDiscardConfirm"))) return;
            window.idbKeyval.del(record.submission_key, store).then(showQueue);
          });
          item.append(error, discard);
        }
        list.append(item);
      });
    });
  }

  function note(message) {
    var box = queueBox();
    var status = box && box.querySelector("[data-queue-note]");
    if (status) status.textContent = message;
    if (box) box.hidden = false;
  }

  // Kept on the phone: the form is cleared for the next slip (same place, new key).
  function keep(form, record) {
    if (!store) return Promise.reject(new Error("no IndexedDB"));
    return window.idbKeyval.set(record.submission_key, record, store).then(function () {
      var place = [form.elements.namedItem("latitude"), form.elements.namedItem("longitude"), form.elements.namedItem("accuracy_m")]
        .map(function (input) { return input ? input.value : ""; });
      form.reset();
      ["latitude", "longitude", "accuracy_m"].forEach(function (name, i) { setValue(form, name, place[i]); });
      setValue(form, "submission_key", newKey());
      picked.forEach(function (photo) { URL.revokeObjectURL(photo.url); });
      picked = [];
      showPhotos();
      note(text("msgQueued"));
      return showQueue();
    });
  }

  // A refused form comes back with the messages next to the fields: show it in place;
  // the photos stay picked (they live here, not in the file input).
  function showRefusedForm(form, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(FORM);
    if (!fresh) { note(refusal(html)); return; }
    form.replaceWith(document.importNode(fresh, true));
    var current = slipForm();
    if (window.htmx) window.htmx.process(current); // the owner picker's search (hx-get)
    showPhotos();
    locate(current);
    var invalid = current.querySelector("[aria-invalid=true], .error");
    if (invalid) invalid.scrollIntoView({ block: "center" });
  }

  function submitForm(form, submitter) {
    sending = true;
    var button = form.querySelector(MAIN_BUTTON);
    if (button) button.disabled = true;
    setValue(form, "captured_at", isoNow());
    return Promise.all(pending.slice()).then(function () {
      var record = toRecord(form, submitter);
      if (!navigator.onLine) return keep(form, record);
      var token = tokenOf(document);
      return post(record, token).then(function (response) {
        if (isSlipPage(response)) { window.location.assign(response.url); return null; }
        if (isLoginPage(response)) { needsLogin = true; return keep(form, record); }
        if (response.status === 422) return response.text().then(function (html) { showRefusedForm(form, html); });
        if (response.status === 400) {
          // An expired token: the queue fetches a fresh one and sends it.
          return keep(form, record).then(replay);
        }
        return keep(form, record);
      }, function () {
        return keep(form, record); // the request never arrived: no signal
      });
    }).catch(function () {
      note(text("msgNotKept")); // no IndexedDB (private mode): the form keeps what was typed
    }).finally(function () {
      sending = false;
      var current = slipForm();
      var again = current && current.querySelector(MAIN_BUTTON);
      if (again) again.disabled = false;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(FORM) || !window.FormData || !window.fetch) return;
    // The owner picker's search button (without htmx) asks for the form back, not a slip.
    if (event.submitter && event.submitter.name === "find_owner") return;
    event.preventDefault();
    if (!sending) submitForm(form, event.submitter);
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches(FORM + " input[type=file][name=photos]")) onPhotosPicked(input);
  });

  // The owner picker (SLIP-02) is static/js/owner-picker.js.

  function start() {
    var form = slipForm();
    if (form) {
      if (!(form.elements.namedItem("captured_at") || {}).value) setValue(form, "captured_at", isoNow());
      locate(form);
    }
    showQueue().then(replay);
    window.addEventListener("online", replay);
    setInterval(function () {
      if (document.visibilityState !== "visible" || !store) return;
      window.idbKeyval.keys(store).then(function (keys) { if (keys.length) replay(); });
    }, REPLAY_EVERY);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
