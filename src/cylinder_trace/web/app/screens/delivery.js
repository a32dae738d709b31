// The door-step confirmation of one dispatch: scan what is handed over (refused on the spot if
// it is not on the dispatch or may no longer be delivered), the safety checklist, the empties
// taken back, the place, the customer's signature; then into the outbox, sent when it can be.
import { fillCheck } from "../api.js";
import { enqueue } from "../outbox.js";
import { backLink, bi, h, screen, txt } from "../widgets/dom.js";
import { markShown, scanPanel } from "../widgets/scan-panel.js";
import { signaturePad } from "../widgets/signature.js";
import { cachedDispatches } from "./deliveries.js";

// What stops a hand-over at the door, of what a fill check answers (the rest is about filling).
// The domain's DOOR_STOPS (domain/lifecycle.py); tests/domain/test_access.py keeps them equal.
const DOOR_STOP = new Set(["SCRAPPED", "RECALLED", "SEIZED", "INSPECTION_OVERDUE",
  "INSPECTION_FAILED", "SERVICE_LIFE_EXCEEDED", "TWO_PHASE_VALVE", "UNREGISTERED"]);

// The reasons a fill check gives for this code; none offline (the dispatch list decides there,
// and the service checks again when the confirmation arrives).
async function serviceReasons(code) {
  if (!navigator.onLine) return [];
  try {
    const r = await fillCheck(code);
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

// The safety checklist: ✓ or ✗ per item, a note for each ✗. onChange() after every answer.
function checklistPanel(items, onChange) {
  const answers = {};
  const rows = h("div", { class: "checklist" }, items.map((c) => {
    const note = h("input", { placeholder: "隐患说明 What is wrong", hidden: true, "data-note": c.item });
    const set = (ok) => {
      answers[c.item] = ok;
      yes.classList.toggle("chosen", ok); no.classList.toggle("chosen", !ok);
      note.hidden = ok; onChange();
    };
    const yes = h("button", { type: "button", class: "ok", "data-item": c.item, "data-ok": "1",
                              onclick: () => set(true) }, "✓ 合格");
    const no = h("button", { type: "button", class: "no", "data-item": c.item, "data-ok": "0",
                             onclick: () => set(false) }, "✗ 隐患");
    return h("div", { class: "check" }, h("span", {}, c.zh, h("br"), h("span", { class: "en" }, c.en)),
             h("div", { class: "pair" }, yes, no), note);
  }));
  return {
    element: rows,
    complete: () => items.every((c) => c.item in answers),
    result: () => items.map((c) => {
      const note = rows.querySelector(`[data-note="${c.item}"]`).value.trim();
      return answers[c.item] ? { item: c.item, ok: true } : { item: c.item, ok: false, note: note || null };
    }),
  };
}

// Where the phone is, asked once; onPlace(place) when it is known.
function placePanel(onPlace) {
  const text = h("p", { "data-place": true }, bi("正在定位…", "Finding the place…"));
  const locate = () => {
    if (!navigator.geolocation) { text.textContent = "无定位 · No location"; return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      const place = { lat: pos.coords.latitude, lon: pos.coords.longitude,
                      accuracy_m: Math.round(pos.coords.accuracy) };
      text.textContent = `${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}` +
        (place.accuracy_m == null ? "" : ` ±${place.accuracy_m} m`);
      onPlace(place);
    }, (err) => {
      text.replaceChildren(...bi("无法定位，请允许定位后重试", `No location (${err.message})`));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };
  return { element: text, locate };
}

export async function renderDelivery(nav, id) {
  const d = (await cachedDispatches()).find((x) => x.id === id);
  if (!d) return nav.go("#deliveries");
  const scanned = new Set();
  const empties = [];
  let place = null;

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
        markShown(code, timing);
        return;
      }
      scanned.add(code);
      const li = expected.querySelector(`[data-code="${code}"]`);
      li.classList.add("ok"); li.querySelector(".mark").textContent = "✓";
      handover.say(`✓ ${code}`, true);
      markShown(code, timing);
      return update();
    }
    // not on this dispatch: refused on the spot; online, the service says what else is wrong
    const item = h("li", { "data-refused": code }, h("strong", {}, code), " ",
                   bi("不在本次配送单上，不得交付", "not on this dispatch: do not hand over"));
    refusals.prepend(item);
    handover.say(`✗ ${code} 不在本次配送单上`, false);
    markShown(code, timing);
    item.append(...reasonLines(await serviceReasons(code)).flat());
  }, { label: bi("1. 扫描交付的气瓶", "Scan each cylinder handed over") });

  const checklist = checklistPanel(d.checklist, () => update());

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

  const where = placePanel((p) => { place = p; update(); });
  const signature = signaturePad(() => update());

  const confirmButton = h("button", { class: "big primary", type: "button", disabled: true,
                                      "data-confirm": true, onclick: async () => {
    const items = checklist.result();
    const body = {
      scans: [...scanned], location: place, empties,
      safety_check: { passed: items.every((i) => i.ok), items },
      signature_png_base64: signature.pngBase64(),
      made_at: new Date().toISOString(),
    };
    handover.stopCamera(); emptiesPanel.stopCamera();
    await enqueue({ key: crypto.randomUUID(), url: `/api/v1/deliveries/${d.id}/confirm`,
                    delivery_id: d.id, body, label: d.customer.name });
    nav.go("#deliveries");
  } }, bi("确认送达", "Confirm delivery"));
  const missing = h("p", { class: "en", "data-missing": true });
  function update() {
    const lacks = [];
    if (scanned.size < d.codes.length) lacks.push(`扫码 ${scanned.size}/${d.codes.length}`);
    if (!checklist.complete()) lacks.push("安检 check");
    if (!place) lacks.push("位置 place");
    if (!signature.signed()) lacks.push("签名 signature");
    confirmButton.disabled = lacks.length > 0;
    missing.textContent = lacks.length ? `还差 · still needed: ${lacks.join(" · ")}` : "";
  }

  screen(bi("送达确认", "Door-step confirmation"),
    h("div", { class: "card" }, h("strong", {}, d.customer.name), h("span", {}, d.customer.address)),
    handover, expected, refusals,
    h("section", {}, h("h2", {}, bi("2. 入户安检", "Safety check at the door")), checklist.element),
    emptiesPanel,
    h("section", {}, h("h2", {}, bi("4. 位置", "Place")), where.element),
    h("section", {}, h("h2", {}, bi("5. 客户签名确认", "Customer signs")), ...signature.elements),
    missing, confirmButton,
    backLink("#deliveries"));
  where.locate();
  update();
  nav.onLeave(() => { handover.stopCamera(); emptiesPanel.stopCamera(); });
}
