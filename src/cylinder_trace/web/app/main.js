// cylinder-trace phone app: delivery workers confirm drop-offs at the door, station staff check
// cylinders away from the scale. Offline first: the shell is cached by the service worker
// (sw.js, its list in shell.json), today's dispatches and every confirmation waiting to be sent
// live in IndexedDB (store.js). This module routes #hash to a screen and starts the app.
import { restoreSession } from "./api.js";
import { counts, flush, onChange } from "./outbox.js";
import { renderCheck } from "./screens/check.js";
import { renderDeliveries } from "./screens/deliveries.js";
import { renderDelivery } from "./screens/delivery.js";
import { renderHome } from "./screens/home.js";
import { renderLogin } from "./screens/login.js";
import { showStatus } from "./widgets/status.js";

let cleanup = () => {};

// What a screen may ask of the router: another screen, and what to undo when it is left.
const nav = {
  go(hash) { location.hash = hash; return route(); },
  onLeave(fn) { cleanup = fn; },
};

async function route() {
  cleanup(); cleanup = () => {};
  const session = await restoreSession();
  const hash = location.hash || "#home";
  if (!session) return renderLogin(nav);
  if (hash.startsWith("#delivery/")) return renderDelivery(nav, hash.slice("#delivery/".length));
  if (hash === "#deliveries") return renderDeliveries(nav);
  if (hash === "#check") return renderCheck(nav);
  return renderHome(nav);
}

// The outbox reports; the page shows it, and a list on screen is drawn again after a send.
onChange(async ({ waiting, failed, flushed }) => {
  showStatus({ waiting, failed });
  if (flushed && location.hash.startsWith("#deliveries")) renderDeliveries(nav);
});

window.addEventListener("hashchange", route);
window.addEventListener("online", flush);
window.addEventListener("offline", async () => showStatus(await counts()));
setInterval(flush, 15000);
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((e) => console.warn(e));
}
(async () => {
  await restoreSession();
  await route();
  await flush();
  document.body.dataset.ready = "1";
})();
