// The start screen: today's deliveries (for those who deliver), the cylinder check, log out.
import { api, endSession, session } from "../api.js";
import { bi, h, screen } from "../widgets/dom.js";

const DELIVERS = ["delivery_worker", "enterprise_admin", "platform_admin"];

export function renderHome(nav) {
  const { username, role } = session();
  screen(bi("气瓶追溯", "Cylinder trace"),
    h("p", {}, username),
    DELIVERS.includes(role) ? h("a", { class: "big primary button", href: "#deliveries" },
                                bi("今日配送", "Today's deliveries")) : null,
    h("a", { class: "big button", href: "#check" }, bi("气瓶查验 · 收空瓶", "Check a cylinder · empties")),
    h("button", { class: "big", onclick: async () => {
      // end the session on the server too, so a copy of the token opens nothing
      if (navigator.onLine) {
        try { await api("/api/v1/auth/logout", { method: "POST" }); } catch { /* offline */ }
      }
      await endSession(); nav.go("#login");
    } }, bi("退出登录", "Log out")));
}
