// cylinder-trace phone app: delivery workers confirm drop-offs at the door, station staff check
// cylinders away from the scale. Offline first: the shell is cached by the service worker,
// today's dispatches and every confirmation waiting to be sent live in IndexedDB.
import { readScan } from "./codes.js";
import { kv, outbox } from "./store.js";

const $ = (sel) => document.querySelector(sel);
const view = () => $("#view");

// A small element builder: text goes in as text, never as HTML.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const bi = (zh, en) => [zh, " ", h("span", { class: "en" }, en)];

// --- session and network --------------------------------------------------------------------

let session = null; // {token, username, role}

async function api(path, { method = "GET", body, key, form } = {}) {
  const headers = {};
  if (session) headers.Authorization = `Bearer ${session.token}`;
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

function problemText(data, fallback) {
  if (!data) return fallback;
  return [data.title_zh, data.detail].filter(Boolean).join(" · ") || fallback;
}

// --- the outbox: what was confirmed on the phone and is not yet at the service -----------------

let flushing = false;

async function enqueue(entry) {
  await outbox.add({ ...entry, status: "waiting", created_at: new Date().toISOString() });
  await flush();
}

async function flush() {
  if (flushing || !session) return renderStatus();
  flushing = true;
  try {
    for (const entry of await outbox.all()) {
      if (entry.status === "failed") continue;
      let r;
      try {
        r = await api(entry.url, { method: "POST", body: entry.body, key: entry.key });
      } catch {
        break; // offline: keep everything, try again when the network is back
      }
      if (r.ok) {
        await outbox.del(entry.key);
        const done = (await kv.get("done")) || {};
        done[entry.delivery_id || entry.key] = { received_at: r.data && r.data.received_at,
                                                 label: entry.label };
        await kv.set("done", done);
      } else if (r.status === 401) {
        session = null;
        await kv.del("session");
        break; // log in again; the entries wait
      } else if (r.status >= 500 || r.status === 429 || r.status === 408) {
        break;
      } else {
        await outbox.put({ ...entry, status: "failed",
                           error: problemText(r.data, `HTTP ${r.status}`) });
      }
    }
  } finally {
    flushing = false;
  }
  await renderStatus();
  if (location.hash.startsWith("#deliveries")) renderDeliveries();
}

async function renderStatus() {
  const entries = await outbox.all();
  const waiting = entries.filter((e) => e.status === "waiting").length;
  const failed = entries.filter((e) => e.status === "failed").length;
  const bar = $("#status");
  bar.replaceChildren(...[
    h("span", { class: navigator.onLine ? "online" : "offline", "data-online": String(navigator.onLine) },
      navigator.onLine ? bi("在线", "online") : bi("离线", "offline")),
    h("span", { "data-waiting": waiting }, bi(`待发送 ${waiting}`, `${waiting} waiting to send`)),
    failed ? h("span", { class: "bad", "data-failed": failed },
               bi(`发送失败 ${failed}`, `${failed} refused`)) : null,
  ].filter(Boolean));
}

// --- screens ------------------------------------------------------------------------------------

function screen(title, ...body) {
  view().replaceChildren(h("h1", {}, title), ...body);
  window.scrollTo(0, 0);
}

function renderLogin(message) {
  const user = h("input", { name: "username", autocomplete: "username", required: true,
                            autocapitalize: "none" });
  const pass = h("input", { name: "password", type: "password", required: true,
                            autocomplete: "current-password" });
  const note = h("p", { class: "bad", role: "alert" }, message || "");
  screen(bi("登录", "Log in"), h("form", { class: "stack", onsubmit: async (e) => {
    e.preventDefault();
    let r;
    try {
      r = await api("/api/v1/auth/token", { method: "POST",
        form: { username: user.value, password: pass.value } });
    } catch {
      note.textContent = "离线时无法登录 · Logging in needs the network";
      return;
    }
    if (!r.ok) { note.textContent = problemText(r.data, "登录失败 · Login failed"); return; }
    session = { token: r.data.access_token, username: user.value };
    const me = await api("/api/v1/users/me");
    session.role = me.ok ? me.data.role : "";
    await kv.set("session", session);
    await flush();
    location.hash = "#home";
    route();
  } }, h("label", {}, bi("用户名", "Username"), user), h("label", {}, bi("密码", "Password"), pass),
  h("button", { class: "big primary", type: "submit" }, bi("登录", "Log in")), note));
}

function renderHome() {
  const worker = ["delivery_worker", "enterprise_admin", "platform_admin"].includes(session.role);
  screen(bi("气瓶追溯", "Cylinder trace"),
    h("p", {}, session.username),
    worker ? h("a", { class: "big primary button", href: "#deliveries" },
               bi("今日配送", "Today's deliveries")) : null,
    h("a", { class: "big button", href: "#check" }, bi("气瓶查验 · 收空瓶", "Check a cylinder · empties")),
    h("button", { class: "big", onclick: async () => {
      // end the session on the server too, so a copy of the token opens nothing
      if (navigator.onLine) {
        try { await api("/api/v1/auth/logout", { method: "POST" }); } catch { /* offline */ }
      }
      await kv.del("session"); session = null; location.hash = "#login"; route();
    } }, bi("退出登录", "Log out")));
}

async function loadDispatches() {
  if (navigator.onLine) {
    try {
      const r = await api("/api/v1/deliveries/open");
      if (r.ok) {
        // keep today's confirmed ones on the list (sent or still waiting), marked as such
        const keep = new Set([...Object.keys((await kv.get("done")) || {}),
                              ...(await outbox.all()).map((e) => e.delivery_id)]);
        const fresh = new Set(r.data.map((d) => d.id));
        const old = ((await kv.get("dispatches")) || []).filter((d) => keep.has(d.id) && !fresh.has(d.id));
        const list = [...r.data, ...old];
        await kv.set("dispatches", list);
        return list;
      }
      if (r.status === 401) { session = null; await kv.del("session"); }
    } catch { /* offline: the cached list below */ }
  }
  return (await kv.get("dispatches")) || [];
}

async function renderDeliveries() {
  const list = await loadDispatches();
  if (!session) { location.hash = "#login"; return route(); }
  const pending = new Set((await outbox.all()).map((e) => e.delivery_id));
  const done = (await kv.get("done")) || {};
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
    h("a", { class: "big button", href: "#home" }, bi("返回", "Back")));
}

// Text from an answer, or nothing: a missing field is never shown as "null" or "undefined".
const txt = (v) => (v === null || v === undefined ? "" : String(v));
const joined = (...parts) => parts.map(txt).filter(Boolean).join(" · ");

// A scan panel: camera (when there is one) and typing, every read checked on the phone first.
function scanPanel(onCode, { label }) {
  const video = h("video", { class: "camera", muted: true, playsinline: true, hidden: true });
  const input = h("input", { inputmode: "text", autocapitalize: "characters",
                             placeholder: "手工输入编码 Type the code", "aria-label": "code" });
  let scanner = null;
  const msg = h("p", { class: "scan-msg", role: "status" });
  const take = (text, timing) => {
    msg.textContent = ""; msg.className = "scan-msg"; // each scan speaks for itself
    const read = readScan(text);
    if (read.error === "BAD_CHECK_CHARACTER") {
      msg.textContent = `编码校验位错误，请重扫或核对 · Check character wrong: ${read.code}`;
      msg.className = "scan-msg bad";
      return;
    }
    if (read.error) return;
    // the code names the cylinder on the phone; what was scanned (signature and all) is what
    // the service is asked about, so a forged label gets the scale's answer
    onCode(read.code || read.other, timing, String(text).trim());
  };
  const camButton = h("button", { class: "big", type: "button", onclick: async () => {
    if (scanner) { scanner.stop(); scanner = null; video.hidden = true; return; }
    try {
      const { startScanner } = await import("./scanner.js");
      video.hidden = false;
      scanner = await startScanner(video, take);
    } catch (err) {
      video.hidden = true;
      msg.textContent = `无法打开相机，请手工输入 · No camera (${err.name || err}); type the code`;
      msg.className = "scan-msg bad";
    }
  } }, bi("扫码", "Scan with the camera"));
  const form = h("form", { class: "row", onsubmit: (e) => {
    e.preventDefault(); take(input.value); input.value = "";
  } }, input, h("button", { type: "submit" }, bi("确定", "OK")));
  const panel = h("section", { class: "scan" }, h("h2", {}, label), camButton, video, form, msg);
  panel.stopCamera = () => { if (scanner) scanner.stop(); scanner = null; };
  panel.say = (text, good) => { msg.textContent = text; msg.className = `scan-msg ${good ? "good" : "bad"}`; };
  return panel;
}

let cleanup = () => {};

// What stops a hand-over at the door, of what a fill check answers (the rest is about filling).
const DOOR_STOP = new Set(["SCRAPPED", "RECALLED", "SEIZED", "INSPECTION_OVERDUE",
  "INSPECTION_FAILED", "SERVICE_LIFE_EXCEEDED", "TWO_PHASE_VALVE", "UNREGISTERED"]);

// The reasons a fill check gives for this code; none offline (the dispatch list decides there,
// and the service checks again when the confirmation arrives).
async function serviceReasons(code) {
  if (!navigator.onLine) return [];
  try {
    const r = await api(`/api/v1/fill-check?scan=${encodeURIComponent(code)}`);
    return r.ok ? r.data.reasons : [];
  } catch {
    return [];
  }
}

async function doorStops(code) {
  return (await serviceReasons(code)).filter((x) => DOOR_STOP.has(x.code));
}

const reasonLines = (reasons) =>
  reasons.map((why) => [h("br"), txt(why.message_zh), " ", h("span", { class: "en" }, why.code)]);

async function renderDelivery(id) {
  const list = (await kv.get("dispatches")) || [];
  const d = list.find((x) => x.id === id);
  if (!d) { location.hash = "#deliveries"; return route(); }
  const scanned = new Set();
  const empties = [];
  const answers = {};
  let place = null;
  let signed = false;

  const expected = h("ul", { class: "codes", "data-expected": true }, d.codes.map((c) =>
    h("li", { "data-code": c }, h("span", { class: "mark" }, "○"), h("code", {}, c))));
  const refusals = h("ul", { class: "refusals", "data-refusals": true });
  const handover = scanPanel(async (code, timing, raw) => {
    if (d.codes.includes(code)) {
      // on the dispatch; online, the service says whether it may still be handed over (it may
      // have been seized or recalled since it left the station, or the label may be forged)
      const stop = await doorStops(raw || code);
      if (stop.length) {
        refusals.prepend(h("li", { "data-refused": code }, h("strong", {}, code), " ",
          bi("禁止交付", "do not hand over"), reasonLines(stop)));
        handover.say(`✗ ${code} ${txt(stop[0].message_zh)}`, false);
        if (timing) markShown(code, timing);
        return;
      }
      scanned.add(code);
      const li = expected.querySelector(`[data-code="${code}"]`);
      li.classList.add("ok"); li.querySelector(".mark").textContent = "✓";
      handover.say(`✓ ${code}`, true);
      if (timing) markShown(code, timing);
      return update();
    }
    // not on this dispatch: refused on the spot; online, the service says what else is wrong
    const item = h("li", { "data-refused": code }, h("strong", {}, code), " ",
                   bi("不在本次配送单上，不得交付", "not on this dispatch: do not hand over"));
    refusals.prepend(item);
    handover.say(`✗ ${code} 不在本次配送单上`, false);
    if (timing) markShown(code, timing);
    item.append(...reasonLines(await serviceReasons(code)).flat());
  }, { label: bi("1. 扫描交付的气瓶", "Scan each cylinder handed over") });

  const checklist = h("div", { class: "checklist" }, d.checklist.map((c) => {
    const note = h("input", { placeholder: "隐患说明 What is wrong", hidden: true, "data-note": c.item });
    const set = (ok) => {
      answers[c.item] = ok;
      yes.classList.toggle("chosen", ok); no.classList.toggle("chosen", !ok);
      note.hidden = ok; update();
    };
    const yes = h("button", { type: "button", class: "ok", "data-item": c.item, "data-ok": "1",
                              onclick: () => set(true) }, "✓ 合格");
    const no = h("button", { type: "button", class: "no", "data-item": c.item, "data-ok": "0",
                             onclick: () => set(false) }, "✗ 隐患");
    return h("div", { class: "check" }, h("span", {}, c.zh, h("br"), h("span", { class: "en" }, c.en)),
             h("div", { class: "pair" }, yes, no), note);
  }));

  const emptyList = h("ul", { class: "codes", "data-empties": true });
  const emptiesPanel = scanPanel((code) => {
    if (d.codes.includes(code)) { emptiesPanel.say("刚交付的气瓶不能作为空瓶回收 · just delivered", false); return; }
    if (!empties.includes(code)) {
      empties.push(code);
      emptyList.append(h("li", { "data-code": code }, h("span", { class: "mark" }, "↩"), h("code", {}, code)));
    }
    emptiesPanel.say(`↩ ${code}`, true);
  }, { label: bi("3. 回收空瓶（扫码）", "Empties collected (scan)") });
  emptiesPanel.append(emptyList);

  const placeText = h("p", { "data-place": true }, bi("正在定位…", "Finding the place…"));
  const locate = () => {
    if (!navigator.geolocation) { placeText.textContent = "无定位 · No location"; return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      place = { lat: pos.coords.latitude, lon: pos.coords.longitude,
                accuracy_m: Math.round(pos.coords.accuracy) };
      placeText.textContent = `${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}` +
        (place.accuracy_m == null ? "" : ` ±${place.accuracy_m} m`);
      update();
    }, (err) => {
      placeText.replaceChildren(...bi("无法定位，请允许定位后重试", `No location (${err.message})`));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };

  const pad = h("canvas", { class: "signature", width: 600, height: 220, "data-signature": true });
  const ctx = pad.getContext("2d");
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  let drawing = false;
  const point = (e) => { const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
  pad.addEventListener("pointerdown", (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...point(e)); });
  pad.addEventListener("pointermove", (e) => { if (!drawing) return; ctx.lineTo(...point(e)); ctx.stroke(); signed = true; });
  pad.addEventListener("pointerup", () => { drawing = false; update(); });
  const clear = h("button", { type: "button", onclick: () => {
    ctx.clearRect(0, 0, pad.width, pad.height); signed = false; update(); } }, bi("重签", "Clear"));

  const confirmButton = h("button", { class: "big primary", type: "button", disabled: true,
                                      "data-confirm": true, onclick: async () => {
    const items = d.checklist.map((c) => {
      const note = checklist.querySelector(`[data-note="${c.item}"]`).value.trim();
      return answers[c.item] ? { item: c.item, ok: true }
        : { item: c.item, ok: false, note: note || null };
    });
    const body = {
      scans: [...scanned], location: place, empties,
      safety_check: { passed: items.every((i) => i.ok), items },
      signature_png_base64: pad.toDataURL("image/png").split(",")[1],
      made_at: new Date().toISOString(),
    };
    handover.stopCamera(); emptiesPanel.stopCamera();
    await enqueue({ key: crypto.randomUUID(), url: `/api/v1/deliveries/${d.id}/confirm`,
                    delivery_id: d.id, body, label: d.customer.name });
    location.hash = "#deliveries";
    route();
  } }, bi("确认送达", "Confirm delivery"));
  const missing = h("p", { class: "en", "data-missing": true });
  function update() {
    const lacks = [];
    if (scanned.size < d.codes.length) lacks.push(`扫码 ${scanned.size}/${d.codes.length}`);
    if (d.checklist.some((c) => !(c.item in answers))) lacks.push("安检 check");
    if (!place) lacks.push("位置 place");
    if (!signed) lacks.push("签名 signature");
    confirmButton.disabled = lacks.length > 0;
    missing.textContent = lacks.length ? `还差 · still needed: ${lacks.join(" · ")}` : "";
  }

  screen(bi("送达确认", "Door-step confirmation"),
    h("div", { class: "card" }, h("strong", {}, d.customer.name), h("span", {}, d.customer.address)),
    handover, expected, refusals,
    h("section", {}, h("h2", {}, bi("2. 入户安检", "Safety check at the door")), checklist),
    emptiesPanel,
    h("section", {}, h("h2", {}, bi("4. 位置", "Place")), placeText),
    h("section", {}, h("h2", {}, bi("5. 客户签名确认", "Customer signs")), pad, clear),
    missing, confirmButton,
    h("a", { class: "big button", href: "#deliveries" }, bi("返回", "Back")));
  locate();
  update();
  cleanup = () => { handover.stopCamera(); emptiesPanel.stopCamera(); };
}

// The time from the camera's first frame to the cylinder on screen, for the performance doc.
function markShown(code, timing) {
  requestAnimationFrame(() => {
    const shownAt = performance.now();
    window.__scanTimings = window.__scanTimings || [];
    window.__scanTimings.push({ code, fromFirstFrame: shownAt - timing.firstFrameAt,
                                fromGrab: shownAt - timing.grabbedAt,
                                decode: timing.decodedAt - timing.grabbedAt });
  });
}

function renderCheck() {
  const result = h("div", { "data-result": true });
  const panel = scanPanel(async (code, timing, raw) => {
    result.replaceChildren(h("p", {}, bi("查询中…", "Checking…")));
    let r;
    try {
      r = await api(`/api/v1/fill-check?scan=${encodeURIComponent(raw || code)}`);
    } catch {
      result.replaceChildren(h("p", { class: "bad" }, bi("离线：无法查询", "Offline: cannot check")));
      return;
    }
    if (!r.ok) { result.replaceChildren(h("p", { class: "bad" }, problemText(r.data, `HTTP ${r.status}`))); return; }
    const a = r.data;
    const allow = a.decision === "allow";
    const c = a.cylinder;
    result.replaceChildren(
      h("div", { class: `verdict ${allow ? "allow" : "deny"}`, "data-decision": a.decision },
        allow ? "可以充装 ALLOW" : "禁止充装 DENY"),
      c ? h("p", { "data-code": c.code }, h("code", {}, c.code), " · ",
            txt(c.public_status && c.public_status.zh), " ",
            h("span", { class: "en" }, txt(c.public_status && c.public_status.en))) : null,
      h("ul", { class: "reasons" }, (a.reasons || []).map((x) => h("li", { "data-reason": x.code },
        txt(x.message_zh), h("br"), h("span", { class: "en" }, joined(x.code, x.message_en)))),
        (a.warnings || []).map((x) => h("li", { class: "warn", "data-warning": x.code },
          txt(x.message_zh), h("br"), h("span", { class: "en" }, txt(x.message_en))))),
      h("p", { class: "en" }, joined(a.station && a.station.name,
                                     "未创建充装授权 no authorization was opened")),
      c && a.station ? h("button", { class: "big", type: "button", onclick: async (ev) => {
        ev.currentTarget.disabled = true; // one tap, one return (the service is idempotent too)
        const ret = await api(`/api/v1/cylinders/${c.code}/return`, { method: "POST",
          body: { station_id: a.station.id } }).catch(() => null);
        result.append(h("p", { class: ret && ret.ok ? "good" : "bad", "data-returned": ret && ret.ok },
          ret && ret.ok ? bi("已接收空瓶", "Received as a returned empty")
            : ret ? problemText(ret.data, "失败 failed") : bi("离线：稍后再收", "Offline: try again")));
      } }, bi("接收空瓶", "Receive as returned empty")) : null);
    if (timing) markShown(code, timing);
  }, { label: bi("扫描气瓶", "Scan a cylinder") });
  screen(bi("气瓶查验", "Check a cylinder"), panel, result,
         h("a", { class: "big button", href: "#home" }, bi("返回", "Back")));
  cleanup = () => panel.stopCamera();
}

async function route() {
  cleanup(); cleanup = () => {};
  if (!session) session = (await kv.get("session")) || null;
  const hash = location.hash || "#home";
  if (!session) return renderLogin();
  if (hash.startsWith("#delivery/")) return renderDelivery(hash.slice("#delivery/".length));
  if (hash === "#deliveries") return renderDeliveries();
  if (hash === "#check") return renderCheck();
  return renderHome();
}

window.addEventListener("hashchange", route);
window.addEventListener("online", flush);
window.addEventListener("offline", renderStatus);
setInterval(flush, 15000);
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((e) => console.warn(e));
}
(async () => {
  session = (await kv.get("session")) || null;
  await route();
  await flush();
  document.body.dataset.ready = "1";
})();
