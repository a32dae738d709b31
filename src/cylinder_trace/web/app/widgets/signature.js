// The customer's signature: a canvas drawn on with a finger (pointer events) and a Clear button.
// onChange() is called when a stroke ends or the pad is cleared.
import { bi, h } from "./dom.js";

export function signaturePad(onChange) {
  const pad = h("canvas", { class: "signature", width: 600, height: 220, "data-signature": true });
  const ctx = pad.getContext("2d");
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  let drawing = false;
  let signed = false;
  const point = (e) => { const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
  pad.addEventListener("pointerdown", (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...point(e)); });
  pad.addEventListener("pointermove", (e) => { if (!drawing) return; ctx.lineTo(...point(e)); ctx.stroke(); signed = true; });
  pad.addEventListener("pointerup", () => { drawing = false; onChange(); });
  const clear = h("button", { type: "button", onclick: () => {
    ctx.clearRect(0, 0, pad.width, pad.height); signed = false; onChange(); } }, bi("重签", "Clear"));
  return {
    elements: [pad, clear],
    signed: () => signed,
    pngBase64: () => pad.toDataURL("image/png").split(",")[1],
  };
}
