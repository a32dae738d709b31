// Camera scanning: getUserMedia, frames drawn to a canvas, decoded by ZXing-C++ compiled to
// WebAssembly (zxing-wasm, vendored under /app/vendor, pinned in webapp/package-lock.json).
import { prepareZXingModule, readBarcodes } from "./vendor/zxing-wasm/es/reader/index.js";

prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) =>
      path.endsWith(".wasm") ? new URL(`./vendor/zxing-wasm/${path}`, import.meta.url).href
        : prefix + path,
  },
});

export function decodeImage(imageData) {
  return readBarcodes(imageData, { formats: ["QRCode", "DataMatrix"], tryHarder: true,
                                   maxNumberOfSymbols: 1 });
}

// Opens the camera in `video` and calls onText(text, timing) for each new code read, until
// stop() is called. timing: {firstFrameAt, grabbedAt, decodedAt} (performance.now() ms).
export async function startScanner(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } } });
  video.srcObject = stream;
  video.setAttribute("playsinline", "");
  await video.play();
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let running = true;
  let last = "";
  let firstFrameAt = null;
  const tick = async () => {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const grabbedAt = performance.now();
      if (firstFrameAt === null) firstFrameAt = grabbedAt;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      try {
        const results = await decodeImage(ctx.getImageData(0, 0, canvas.width, canvas.height));
        const hit = results.find((r) => r.isValid && r.text);
        if (hit && hit.text !== last && running) {
          last = hit.text;
          onText(hit.text, { firstFrameAt, grabbedAt, decodedAt: performance.now() });
        }
      } catch (err) {
        console.warn("decode failed", err);
      }
    }
    if (running) setTimeout(tick, 30);
  };
  tick();
  return {
    stop() {
      running = false;
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    },
    again() { last = ""; },
  };
}
