// The bar under the title: online or not, how many confirmations wait, how many were refused.
import { $, bi, h } from "./dom.js";

export function showStatus({ waiting, failed }) {
  $("#status").replaceChildren(...[
    h("span", { class: navigator.onLine ? "online" : "offline", "data-online": String(navigator.onLine) },
      navigator.onLine ? bi("在线", "online") : bi("离线", "offline")),
    h("span", { "data-waiting": waiting }, bi(`待发送 ${waiting}`, `${waiting} waiting to send`)),
    failed ? h("span", { class: "bad", "data-failed": failed },
               bi(`发送失败 ${failed}`, `${failed} refused`)) : null,
  ].filter(Boolean));
}
