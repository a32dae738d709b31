// The app shell, cached so the app opens without a network; the data (dispatches, the outbox)
// lives in IndexedDB, and /api/ requests always go to the network (the page queues them).
// What the shell is: shell.json, the one list (tests/browser/test_phone_app.py checks that it
// names every file the app loads). Change VERSION with the shell, so installed phones take it.
const VERSION = "ct-app-v2";

self.addEventListener("install", (event) => {
  event.waitUntil(fetch("/app/shell.json", { cache: "no-cache" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`shell.json: HTTP ${r.status}`))))
    .then((shell) => caches.open(VERSION).then((c) => c.addAll(shell)))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin ||
      !url.pathname.startsWith("/app/")) return;
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  // the network first (an update reaches the phone), the cached copy when there is none
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(VERSION).then((c) => c.put(key, copy));
    }
    return response;
  }).catch(() => caches.match(key)));
});
