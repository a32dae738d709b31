// The service over HTTP, and the session that signs each request. No UI here: callers get
// {ok, status, data} (a network failure throws) and decide what the person sees.
import { kv } from "./store.js";

let current = null; // {token, username, role}

export const session = () => current;

// The session kept on the phone (IndexedDB), when there is none in memory.
export async function restoreSession() {
  if (!current) current = (await kv.get("session")) || null;
  return current;
}

// Logged in: requests carry this token from now on; saveSession() keeps it across restarts.
export function useSession(s) { current = s; }
export async function saveSession() { await kv.set("session", current); }

// The service said 401, or the person logged out: log in again.
export async function endSession() {
  current = null;
  await kv.del("session");
}

export async function api(path, { method = "GET", body, key, form } = {}) {
  const headers = {};
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (key) headers["Idempotency-Key"] = key;
  let payload;
  if (form) {
    payload = new URLSearchParams(form);
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, cache: "no-store" });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return { ok: response.ok, status: response.status, data };
}

// What a problem+json answer says, for a person (Chinese title, then the detail).
export function problemText(data, fallback) {
  if (!data) return fallback;
  return [data.title_zh, data.detail].filter(Boolean).join(" · ") || fallback;
}

// What a fill check answers for this scan (nothing is written).
export const fillCheck = (scan) => api(`/api/v1/fill-check?scan=${encodeURIComponent(scan)}`);
