// Logging in: the token and the role are kept on the phone, then whatever waits is sent.
import { api, problemText, saveSession, useSession } from "../api.js";
import { flush } from "../outbox.js";
import { bi, h, screen } from "../widgets/dom.js";

export function renderLogin(nav, message) {
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
    const session = { token: r.data.access_token, username: user.value };
    useSession(session);
    const me = await api("/api/v1/users/me");
    session.role = me.ok ? me.data.role : "";
    await saveSession();
    await flush();
    nav.go("#home");
  } }, h("label", {}, bi("用户名", "Username"), user), h("label", {}, bi("密码", "Password"), pass),
  h("button", { class: "big primary", type: "submit" }, bi("登录", "Log in")), note));
}
