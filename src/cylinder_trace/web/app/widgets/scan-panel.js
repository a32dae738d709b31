// A scan panel: camera (when there is one) and typing, every read checked on the phone first
// (codes.js); onCode(code, timing, raw) gets what passed. The camera module loads on first use.
import { readScan } from "../codes.js";
import { bi, h } from "./dom.js";

export function scanPanel(onCode, { label }) {
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
      const { startScanner } = await import("../scanner.js");
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

// The time from the camera's first frame to the cylinder on screen, for the performance doc.
export function markShown(code, timing) {
  if (!timing) return; // typed by hand
  requestAnimationFrame(() => {
    const shownAt = performance.now();
    window.__scanTimings = window.__scanTimings || [];
    window.__scanTimings.push({ code, fromFirstFrame: shownAt - timing.firstFrameAt,
                                fromGrab: shownAt - timing.grabbedAt,
                                decode: timing.decodedAt - timing.grabbedAt });
  });
}
