/** The top bar: product name, the logged-in user and their roles, and sign out. */

import { readCookie } from "../api/http";
import { getMe } from "../api/me";
import { h } from "./dom";

export function mountHeader(root: HTMLElement): void {
  const user = h("span", { class: "user-name" }, "…");
  const roles = h("span", { class: "user-roles" });
  const csrf = h("input", { type: "hidden", name: "csrfmiddlewaretoken" });
  // LogoutView accepts POST only, with the CSRF token Django keeps in the csrftoken cookie.
  const logout = h(
    "form",
    { method: "post", action: "/accounts/logout/", class: "logout" },
    csrf,
    h("button", { type: "submit", class: "button-quiet" }, "Sign out"),
  );
  logout.addEventListener("submit", () => {
    csrf.value = readCookie(document.cookie, "csrftoken");
  });
  root.replaceChildren(
    h("a", { class: "brand", href: "/" }, "Imaging triage"),
    h("nav", { class: "tabs", "aria-label": "Sections" }, h("a", { href: "/", "aria-current": "page" }, "Archive")),
    h("div", { class: "user", "data-testid": "current-user" }, user, roles, logout),
  );
  getMe()
    .then((me) => {
      user.textContent = me.username;
      roles.textContent = me.roles.join(", ");
    })
    .catch(() => {
      user.textContent = "(unknown user)";
    });
}
