// Today's dispatches: fetched when online, kept in IndexedDB for the door-step without signal.
import { api, endSession, session } from "../api.js";
import { delivered, queuedDeliveries } from "../outbox.js";
import { kv } from "../store.js";
import { backLink, bi, h, joined, screen } from "../widgets/dom.js";

export const cachedDispatches = async () => (await kv.get("dispatches")) || [];

async function loadDispatches() {
  if (navigator.onLine) {
    try {
      const r = await api("/api/v1/deliveries/open");
      if (r.ok) {
        // keep today's confirmed ones on the list (sent or still waiting), marked as such
        const keep = new Set([...Object.keys(await delivered()), ...await queuedDeliveries()]);
        const fresh = new Set(r.data.map((d) => d.id));
        const old = (await cachedDispatches()).filter((d) => keep.has(d.id) && !fresh.has(d.id));
        const list = [...r.data, ...old];
        await kv.set("dispatches", list);
        return list;
      }
      if (r.status === 401) await endSession();
    } catch { /* offline: the cached list below */ }
  }
  return cachedDispatches();
}

export async function renderDeliveries(nav) {
  const list = await loadDispatches();
  if (!session()) return nav.go("#login");
  const pending = await queuedDeliveries();
  const done = await delivered();
  const items = list.map((d) => {
    const state = done[d.id] ? bi("已送达", "delivered")
      : pending.has(d.id) ? bi("已确认，待发送", "confirmed, waiting to send") : null;
    return h("li", { "data-delivery": d.id },
      h("a", { class: "card", href: state ? null : `#delivery/${d.id}` },
        h("strong", {}, d.customer.name), h("span", {}, d.customer.address),
        h("span", { class: "en" }, joined(`${d.codes.length} 只 cylinders`, d.customer && d.customer.phone)),
        state ? h("span", { class: "tag" }, state) : null));
  });
  screen(bi("今日配送", "Today's deliveries"),
    items.length ? h("ul", { class: "cards" }, items) : h("p", {}, bi("没有待送的配送单", "Nothing to deliver")),
    backLink("#home"));
}
