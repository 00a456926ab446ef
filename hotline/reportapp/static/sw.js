// The reporting app's service worker (scope /app/): the app opens with no signal (its page, script,
// style and icon from the cache), and Background Sync, where the browser has it, sends the reports
// waiting in the outbox when the connection returns even if the app is closed. Reports themselves
// never go through the cache: they wait in IndexedDB (outbox.js).
importScripts("/app/outbox.js");
var CACHE = "hotline-app-v1";
var SHELL = ["/app/", "/app/app.js", "/app/outbox.js", "/app/app.css", "/app/icon.svg", "/app/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// The shell: the network first (a new version shows at once), the cache when there is none.
self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname.indexOf("/app/api/") === 0 ||
      url.pathname.indexOf("/app/enrol/") === 0 || url.origin !== self.location.origin) return;
  event.respondWith(fetch(event.request).then(function (resp) {
    if (resp.ok && SHELL.indexOf(url.pathname) >= 0) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); });
    }
    return resp;
  }, function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "send-reports") return;
  event.waitUntil(Outbox.flush().then(function (result) {
    return self.clients.matchAll().then(function (clients) {
      clients.forEach(function (c) { c.postMessage({kind: "flushed", result: result}); });
      if (result.offline) throw new Error("still offline");  // the browser tries the sync again
    });
  }));
});
