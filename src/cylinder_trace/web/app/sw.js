// The app shell, cached so the app opens without a network; the data (dispatches, the outbox)
// lives in IndexedDB, and /api/ requests always go to the network (the page queues them).
const VERSION = "ct-app-v1";
const SHELL = [
  "/app/", "/app/app.js", "/app/codes.js", "/app/store.js", "/app/scanner.js", "/app/app.css",
  "/app/manifest.webmanifest", "/app/icon-192.png", "/app/icon-512.png",
  "/app/vendor/zxing-wasm/es/reader/index.js", "/app/vendor/zxing-wasm/es/share.js",
  "/app/vendor/zxing-wasm/zxing_reader.wasm",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
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
