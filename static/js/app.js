// EstateDesk shell: service worker registration and the offline banner. No inline script
// anywhere (the Content-Security-Policy forbids it), so page behaviour lives here.
(function () {
  "use strict";
  var body = document.body;
  if ("serviceWorker" in navigator && body && body.dataset.sw) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).catch(function () {});
    });
  }
  function showConnection() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  document.addEventListener("DOMContentLoaded", showConnection);
})();
