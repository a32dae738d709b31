// The outbox: what was confirmed on the phone and is not yet at the service. Sent in order,
// each with its own Idempotency-Key, whenever the page asks (online, a timer, a new entry).
// No UI here: after each attempt the listeners given to onChange() are told the counts, and
// whether a pass over the queue was made ({waiting, failed, flushed}).
import { api, endSession, problemText, session } from "./api.js";
import { kv, outbox as queue } from "./store.js";

const listeners = [];
let flushing = false;

export function onChange(listener) { listeners.push(listener); }

export async function counts() {
  const entries = await queue.all();
  return { waiting: entries.filter((e) => e.status === "waiting").length,
           failed: entries.filter((e) => e.status === "failed").length };
}

async function report(flushed) {
  const detail = { ...(await counts()), flushed };
  for (const listener of listeners) await listener(detail);
}

// Deliveries confirmed and received by the service: {delivery id: {received_at, label}}.
export const delivered = async () => (await kv.get("done")) || {};

// The deliveries whose confirmation is still on the phone (waiting or refused).
export const queuedDeliveries = async () => new Set((await queue.all()).map((e) => e.delivery_id));

export async function enqueue(entry) {
  await queue.add({ ...entry, status: "waiting", created_at: new Date().toISOString() });
  await flush();
}

export async function flush() {
  if (flushing || !session()) return report(false);
  flushing = true;
  try {
    for (const entry of await queue.all()) {
      if (entry.status === "failed") continue;
      let r;
      try {
        r = await api(entry.url, { method: "POST", body: entry.body, key: entry.key });
      } catch {
        break; // offline: keep everything, try again when the network is back
      }
      if (r.ok) {
        await queue.del(entry.key);
        const done = await delivered();
        done[entry.delivery_id || entry.key] = { received_at: r.data && r.data.received_at,
                                                 label: entry.label };
        await kv.set("done", done);
      } else if (r.status === 401) {
        await endSession();
        break; // log in again; the entries wait
      } else if (r.status >= 500 || r.status === 429 || r.status === 408) {
        break;
      } else {
        await queue.put({ ...entry, status: "failed",
                          error: problemText(r.data, `HTTP ${r.status}`) });
      }
    }
  } finally {
    flushing = false;
  }
  await report(true);
}
