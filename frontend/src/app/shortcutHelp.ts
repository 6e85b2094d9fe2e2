/** The "?" dialog: every keyboard action with the key this user has for it, by scope. */

import { h } from "../pages/dom";
import { SHORTCUT_ACTIONS, type ShortcutMap, type ShortcutScope, keyLabel } from "./shortcuts";

const SCOPE_TITLES: Record<ShortcutScope, string> = {
  worklist: "Worklist",
  reading: "Reading a study",
};

function scopeTable(scope: ShortcutScope, shortcuts: ShortcutMap): HTMLElement {
  const actions = SHORTCUT_ACTIONS.filter((action) => action.scope === scope);
  return h(
    "table",
    { class: "shortcut-table" },
    h("caption", {}, SCOPE_TITLES[scope]),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Action"))),
    h(
      "tbody",
      {},
      ...actions.map((action) =>
        h(
          "tr",
          { "data-action": action.id },
          h("td", {}, h("kbd", {}, keyLabel(shortcuts[action.id]))),
          h("td", {}, action.label),
        ),
      ),
    ),
  );
}

/**
 * Open the dialog (modal; Esc or Close shuts it and focus returns where it was). `first` lists
 * that scope's table first.
 */
export function openShortcutHelp(
  shortcuts: ShortcutMap,
  first: ShortcutScope = "worklist",
): HTMLDialogElement {
  const scopes: ShortcutScope[] = first === "worklist" ? ["worklist", "reading"] : ["reading", "worklist"];
  const close = h("button", { type: "button", class: "button-quiet" }, "Close");
  const dialog = h(
    "dialog",
    { class: "shortcut-help", "aria-labelledby": "shortcut-help-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "shortcut-help-title" }, "Keyboard shortcuts"), close),
    h("div", { class: "shortcut-tables" }, ...scopes.map((scope) => scopeTable(scope, shortcuts))),
    h("p", {}, h("a", { href: "/settings/shortcuts" }, "Change the keys")),
  );
  close.addEventListener("click", () => dialog.close());
  // A link to another page leaves the dialog behind otherwise: the router keeps <body>.
  dialog.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("a")) dialog.close();
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
