// EstateDesk shell: service worker registration and the connection banner. There is no
// inline script anywhere (the Content-Security-Policy forbids it), so page behaviour lives
// here; htmx reads its configuration from the <meta name="htmx-config"> tag.
(function () {
  "use strict";
  // Lets CSS tell pages with scripts from pages without (see .js rules in app.css).
  document.documentElement.classList.add("js");

  function register() {
    var body = document.body;
    if (!("serviceWorker" in navigator) || !body || !body.dataset.sw) return;
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).catch(function () {});
  }

  // The offline page comes back to life by itself when the signal returns: at once on the
  // "online" event, and, while the phone claims a signal that does not reach us (flaky
  // radio, Wi-Fi without internet), again after 1, 2, 4 … 60 s.
  var RETRY = "estatedesk-offline-retry";
  function onOfflinePage() {
    return Boolean(document.body && document.body.dataset.reloadOnline);
  }
  function retryLater() {
    var attempt = 0;
    try {
      attempt = Number(sessionStorage.getItem(RETRY)) || 0;
      sessionStorage.setItem(RETRY, attempt + 1);
    } catch (e) { /* storage off: retry at the slowest pace */ attempt = 6; }
    setTimeout(function () { window.location.reload(); }, Math.min(60, Math.pow(2, attempt)) * 1000);
  }

  function showConnection() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
    if (navigator.onLine && onOfflinePage()) window.location.reload();
  }

  function noSignal() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = false;
  }

  // Offline, a submitted form would end on the browser's error page and the typed text
  // would be gone: keep the user on the form instead and say why nothing happened.
  document.addEventListener("submit", function (event) {
    if (!navigator.onLine) {
      event.preventDefault();
      noSignal();
    }
  }, true);
  document.addEventListener("htmx:sendError", noSignal);

  // Lists that keep themselves fresh: hx-trigger="refresh" data-refresh-every="60". Only
  // while the page is in view, and at once when the phone comes back to it. (The htmx
  // filter "every 60s [document.visibilityState...]" would need eval, which the CSP forbids.)
  var refreshed = new WeakMap();
  function refreshDue(back) {
    if (!window.htmx || document.visibilityState !== "visible") return;
    var now = Date.now();
    document.querySelectorAll("[data-refresh-every]").forEach(function (element) {
      if (!refreshed.has(element)) refreshed.set(element, now);
      var age = now - refreshed.get(element);
      if (age >= element.dataset.refreshEvery * 1000 || (back && age >= 10000)) {
        refreshed.set(element, now);
        window.htmx.trigger(element, "refresh");
      }
    });
  }
  setInterval(refreshDue, 5000);
  document.addEventListener("visibilitychange", function () { refreshDue(true); });

  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  document.addEventListener("DOMContentLoaded", function () {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
    if (onOfflinePage()) {
      if (navigator.onLine) retryLater();
    } else {
      try { sessionStorage.removeItem(RETRY); } catch (e) { /* nothing to reset */ }
    }
  });
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
})();
