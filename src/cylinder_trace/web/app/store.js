// What the phone keeps: IndexedDB, so a confirmation made offline survives closing the page or
// restarting the phone. "kv": the session and today's dispatches; "outbox": requests waiting to
// be sent, each with its own Idempotency-Key (the service keeps one answer per key, so a resend
// after a lost answer never records anything twice).
const DB_NAME = "cylinder-trace";
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("kv");
        req.result.createObjectStore("outbox", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

async function run(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(store, mode);
    const result = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kv = {
  get: (k) => run("kv", "readonly", (s) => s.get(k)),
  set: (k, v) => run("kv", "readwrite", (s) => s.put(v, k)),
  del: (k) => run("kv", "readwrite", (s) => s.delete(k)),
};

export const outbox = {
  add: (entry) => run("outbox", "readwrite", (s) => s.put(entry)),
  all: async () => ((await run("outbox", "readonly", (s) => s.getAll())) || [])
    .sort((a, b) => a.created_at.localeCompare(b.created_at)),
  put: (entry) => run("outbox", "readwrite", (s) => s.put(entry)),
  del: (key) => run("outbox", "readwrite", (s) => s.delete(key)),
};
