// EstateDesk service worker (APP-01): makes the app installable and keeps a styled
// "no signal" page on the phone. It deliberately caches no signed-in page: those show
// owners' names and phone numbers, and a shared phone must not keep them.
"use strict";

// Filled in by webapp/pwa.py when it serves /sw.js: `version` is a hash of the static
// files, so each deploy that changes one installs a new worker with a fresh cache;
// `offline` is the offline page of each language, `language` the company's default.
const SHELL = {"version": "dev", "offline": {"zh-CN": "/offline"}, "language": "zh-CN", "static": "/static/", "urls": ["/offline"]};
const CACHE = "estatedesk-shell-" + SHELL.version;
// The language of the last page the server sent (its Content-Language), kept in the cache
// because a worker is stopped when idle: the offline page speaks the user's language.
const LANGUAGE_KEY = "/offline/last-page-language";
let lastLanguage = null;

function rememberLanguage(response) {
  const language = response.headers.get("Content-Language");
  if (!language || language === lastLanguage || !(language in SHELL.offline)) return;
  lastLanguage = language;
  caches.open(CACHE).then((cache) => cache.put(LANGUAGE_KEY, new Response(language)));
}

function offlinePage() {
  return caches.match(LANGUAGE_KEY)
    .then((saved) => (saved ? saved.text() : SHELL.language))
    .then((language) =>
      caches.match(SHELL.offline[language] || SHELL.offline[SHELL.language], { ignoreVary: true })
    )
    .then((page) => page || Response.error());
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        SHELL.urls.map((url) =>
          // credentials "omit": the cached offline page is rendered for nobody in
          // particular, whoever happened to be signed in when the worker installed.
          fetch(new Request(url, { credentials: "omit", cache: "no-cache" })).then((response) => {
            if (!response.ok) throw new Error("shell fetch failed: " + url);
            return cache.put(url, response);
          })
        )
      )
    ).then(() => self.skipWaiting()) // a deploy takes effect on the next page, not next week
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("estatedesk-") && name !== CACHE)
            .map((name) => caches.delete(name))
        )
      )
      .then(() => self.clients.claim()) // control the page that registered us right away
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Forms and HTMX posts always go to the server: nothing that changes data is cached
  // or replayed. Other origins are none of our business.
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    // Pages: always the network (fresh data, permission checks); the offline page only
    // when there is no network at all. The response is never stored.
    event.respondWith(
      fetch(request).then(
        (response) => {
          rememberLanguage(response);
          return response;
        },
        offlinePage
      )
    );
    return;
  }

  if (url.pathname.startsWith(SHELL.static) || SHELL.urls.includes(url.pathname)) {
    // Static assets: cache first. They hold no personal data, and the cache name changes
    // whenever any of them does, so a cached copy is never out of date.
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            if (response.ok && response.type === "basic") {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          })
      )
    );
  }
  // Everything else (HTMX fragments, downloads, photos): straight to the network.
});
