/**
 * The start page for users whose roles open neither the worklist nor the annotation workspace
 * at "/": who they are, what their role lets them do, links to the pages it opens (/annotate,
 * /review), their settings and sign out. It asks the server for nothing, so no request of it can
 * be refused.
 */

import type { Me } from "../../api/me";
import { h } from "../dom";
import { signOutForm } from "../header";
import { startLinks } from "./startLinks";
import "./start.css";

/** What each role does here, in the words the start page uses. */
const ROLE_WORK: Record<string, string> = {
  radiologist: "Radiologist: read studies from the worklist, with the AI's findings beside them.",
  reviewer:
    "Reviewer: follow the worklist and turnaround, view studies without reading them, and settle " +
    "annotators' labels (accept, edit or reject), with the agreement between annotators.",
  admin: "Admin: manage users, models and the archive.",
  annotator: "Annotator: label de-identified images in the annotation workspace for the model to learn from.",
  modality: "Modality: send images to the archive (an integration account, not for the browser).",
};

function roleList(roles: readonly string[]): HTMLElement {
  return h("ul", { class: "start-roles" }, ...roles.map((role) => h("li", {}, ROLE_WORK[role] ?? role)));
}

function signedOut(): HTMLElement {
  return h(
    "section",
    { class: "start-page", "aria-labelledby": "start-heading", "data-testid": "start-page" },
    h("h1", { id: "start-heading" }, "Sign in again"),
    h("p", {}, "Your session has ended, or the server could not be reached."),
    h("p", {}, h("a", { href: "/accounts/login/?next=/" }, "Sign in")),
  );
}

function whatYouCanDo(me: Me): HTMLElement[] {
  if (me.roles.length === 0) {
    return [
      h("h2", {}, "What you can do"),
      h(
        "p",
        {},
        "Your account has no role yet, so there is nothing here for it to open. " +
          "Ask an admin to give you one.",
      ),
    ];
  }
  const parts = [h("h2", {}, "Your role"), roleList(me.roles)];
  const links = startLinks(me.roles);
  if (links.length) {
    parts.push(
      h("h2", {}, "Where to go"),
      h(
        "ul",
        { class: "start-links", "data-testid": "start-links" },
        ...links.map((link) => h("li", {}, h("a", { href: link.href }, link.caption), `: ${link.what}`)),
      ),
    );
  }
  return parts;
}

function settings(): HTMLElement[] {
  return [
    h("h2", {}, "Your settings"),
    h(
      "ul",
      { class: "start-settings" },
      h(
        "li",
        {},
        h("a", { href: "/settings/shortcuts" }, "Keyboard shortcuts"),
        ": choose the keys for the actions you use most.",
      ),
      h("li", {}, "Your password and roles are set by an admin: ask one to change them."),
    ),
    h("div", { class: "start-sign-out" }, signOutForm("Sign out")),
  ];
}

/** Mount the start page for `me`; returns the function that unmounts it. */
export function mountStartPage(root: HTMLElement, me: Me): () => void {
  if (!me.username) {
    root.replaceChildren(signedOut());
    return () => root.replaceChildren();
  }
  root.replaceChildren(
    h(
      "section",
      { class: "start-page", "aria-labelledby": "start-heading", "data-testid": "start-page" },
      h("h1", { id: "start-heading" }, `Welcome, ${me.username}`),
      h(
        "p",
        { class: "start-who" },
        "You are signed in as ",
        h("strong", {}, me.username),
        me.roles.length ? ` (${me.roles.join(", ")}).` : ", with no role.",
      ),
      ...whatYouCanDo(me),
      ...settings(),
    ),
  );
  return () => root.replaceChildren();
}
