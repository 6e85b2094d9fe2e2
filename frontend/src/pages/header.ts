/** The top bar: product name, the sections the user's roles open, the user, and sign out. */

import { readCookie } from "../api/http";
import type { Me } from "../api/me";
import {
  canAnnotate,
  canManageAnnotation,
  canManageModels,
  canReadArchive,
  canSeeAudit,
  canSeeWorklist,
} from "../app/roles";
import type { Section } from "../app/routes";
import { canReview } from "../review/reviewRoles";
import { h } from "./dom";

export interface Header {
  /** Show who is signed in and the tabs their roles open. */
  setUser(me: Me | null): void;
  /** Mark the current section's tab (aria-current="page"). */
  setCurrent(section: Section | null): void;
  /** Where the Worklist tab leads: the list as last seen, filters included. */
  setWorklistHref(href: string): void;
}

type Roles = readonly string[];

/** Each tab and who sees it: only the sections the user's roles may use (the server agrees). */
const TABS: { section: Section; label: string; href: string; shows: (roles: Roles) => boolean }[] = [
  { section: "start", label: "Start", href: "/", shows: (roles) => !canSeeWorklist(roles) && !canAnnotate(roles) },
  { section: "worklist", label: "Worklist", href: "/worklist", shows: canSeeWorklist },
  { section: "annotate", label: "Annotate", href: "/annotate", shows: canAnnotate },
  { section: "review", label: "Review", href: "/review", shows: canReview },
  { section: "archive", label: "Archive", href: "/archive", shows: canReadArchive },
  { section: "dashboard", label: "Dashboard", href: "/dashboard", shows: canSeeWorklist },
  {
    section: "annotation-settings",
    label: "Annotation settings",
    href: "/annotate/settings",
    shows: canManageAnnotation,
  },
  { section: "models", label: "Models", href: "/models", shows: canManageModels },
  { section: "audit", label: "Audit", href: "/audit", shows: canSeeAudit },
  { section: "shortcuts", label: "Shortcuts", href: "/settings/shortcuts", shows: (roles) => !!roles[0] },
];

/** The sign-out form: LogoutView accepts POST only, with the CSRF token from its cookie. */
export function signOutForm(label = "Sign out"): HTMLFormElement {
  const csrf = h("input", { type: "hidden", name: "csrfmiddlewaretoken" });
  const form = h(
    "form",
    { method: "post", action: "/accounts/logout/", class: "logout" },
    csrf,
    h("button", { type: "submit", class: "button-quiet" }, label),
  );
  form.addEventListener("submit", () => {
    csrf.value = readCookie(document.cookie, "csrftoken");
  });
  return form;
}

export function mountHeader(root: HTMLElement): Header {
  const user = h("span", { class: "user-name" }, "…");
  const roles = h("span", { class: "user-roles" });
  const logout = signOutForm();
  const links = new Map(
    TABS.map((tab) => [tab.section, h("a", { href: tab.href, "data-section": tab.section }, tab.label)]),
  );
  const nav = h("nav", { class: "tabs", "aria-label": "Sections" });
  root.replaceChildren(
    h("a", { class: "brand", href: "/" }, "Imaging triage"),
    nav,
    h("div", { class: "user", "data-testid": "current-user" }, user, roles, logout),
  );

  return {
    setUser(me) {
      user.textContent = me ? me.username : "(unknown user)";
      roles.textContent = me ? me.roles.join(", ") : "";
      const granted = me?.roles ?? [];
      nav.replaceChildren(
        ...TABS.filter((tab) => tab.shows(granted)).flatMap((tab) => links.get(tab.section) ?? []),
      );
    },
    setCurrent(section) {
      for (const [tab, link] of links) {
        if (tab === section) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    },
    setWorklistHref(href) {
      links.get("worklist")?.setAttribute("href", href);
    },
  };
}
