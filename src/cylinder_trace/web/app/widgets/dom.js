// The DOM builder every screen uses: text goes in as text, never as HTML.
export const $ = (sel) => document.querySelector(sel);

export function h(tag, attrs = {}, ...children) {
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

// Chinese first, the English after it in small type.
export const bi = (zh, en) => [zh, " ", h("span", { class: "en" }, en)];

// Text from an answer, or nothing: a missing field is never shown as "null" or "undefined".
export const txt = (v) => (v === null || v === undefined ? "" : String(v));
export const joined = (...parts) => parts.map(txt).filter(Boolean).join(" · ");

// One screen at a time in <main id="view">, from its top.
export function screen(title, ...body) {
  $("#view").replaceChildren(h("h1", {}, title), ...body);
  window.scrollTo(0, 0);
}

export const backLink = (href) => h("a", { class: "big button", href }, bi("返回", "Back"));
