// The station check: what a fill check says about a cylinder (nothing is written, no
// authorization is opened), and taking it back as a returned empty with one tap.
import { api, fillCheck, problemText } from "../api.js";
import { backLink, bi, h, joined, screen, txt } from "../widgets/dom.js";
import { markShown, scanPanel } from "../widgets/scan-panel.js";

function returnButton(c, station, result) {
  return h("button", { class: "big", type: "button", onclick: async (ev) => {
    ev.currentTarget.disabled = true; // one tap, one return (the service is idempotent too)
    const ret = await api(`/api/v1/cylinders/${c.code}/return`, { method: "POST",
      body: { station_id: station.id } }).catch(() => null);
    result.append(h("p", { class: ret && ret.ok ? "good" : "bad", "data-returned": ret && ret.ok },
      ret && ret.ok ? bi("已接收空瓶", "Received as a returned empty")
        : ret ? problemText(ret.data, "失败 failed") : bi("离线：稍后再收", "Offline: try again")));
  } }, bi("接收空瓶", "Receive as returned empty"));
}

function verdict(a, result) {
  const allow = a.decision === "allow";
  const c = a.cylinder;
  return [
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
    c && a.station ? returnButton(c, a.station, result) : null,
  ];
}

export function renderCheck(nav) {
  const result = h("div", { "data-result": true });
  const panel = scanPanel(async (code, timing, raw) => {
    result.replaceChildren(h("p", {}, bi("查询中…", "Checking…")));
    let r;
    try {
      r = await fillCheck(raw || code);
    } catch {
      result.replaceChildren(h("p", { class: "bad" }, bi("离线：无法查询", "Offline: cannot check")));
      return;
    }
    if (!r.ok) { result.replaceChildren(h("p", { class: "bad" }, problemText(r.data, `HTTP ${r.status}`))); return; }
    result.replaceChildren(...verdict(r.data, result).filter((x) => x !== null));
    markShown(code, timing);
  }, { label: bi("扫描气瓶", "Scan a cylinder") });
  screen(bi("气瓶查验", "Check a cylinder"), panel, result, backLink("#home"));
  nav.onLeave(() => panel.stopCamera());
}
