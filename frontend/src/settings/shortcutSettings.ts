/**
 * The shortcut settings page: every action with its key, "press a key" to change one, a
 * conflict check across each scope, reset to the defaults, and save to the user's preferences.
 */

import {
  SHORTCUT_ACTIONS,
  type RegisteredAction,
  type ShortcutId,
  type ShortcutMap,
  type ShortcutScope,
  conflictingActions,
  conflicts,
  defaultShortcuts,
  keyLabel,
  loadShortcuts,
  normaliseKey,
  saveShortcuts,
} from "../app/shortcuts";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { captureKey } from "./keyCapture";

const SCOPES: { scope: ShortcutScope; title: string }[] = [
  { scope: "worklist", title: "Worklist" },
  { scope: "reading", title: "Reading a study" },
];
const PREFERENCES = { name: "The preferences service", forbidden: "You may not change these settings." };

function sameKeys(a: ShortcutMap, b: ShortcutMap): boolean {
  return SHORTCUT_ACTIONS.every((action) => normaliseKey(a[action.id]) === normaliseKey(b[action.id]));
}

export function mountShortcutSettings(root: HTMLElement): () => void {
  const defaults = defaultShortcuts();
  let saved: ShortcutMap = defaults;
  let draft: ShortcutMap = { ...defaults };
  let capturing: ShortcutId | null = null;
  let unmounted = false;

  const problems = h("ul", { class: "alert conflict-list", role: "alert", hidden: true });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h(
    "p",
    { class: "status", role: "status", "aria-live": "polite" },
    "Loading your shortcuts…",
  );
  const save = h("button", { type: "button", disabled: true }, "Save");
  const reset = h("button", { type: "button", class: "button-quiet" }, "Reset all to defaults");
  const rows = new Map<ShortcutId, HTMLTableRowElement>();

  function keyButton(action: RegisteredAction): HTMLButtonElement {
    const button = h("button", { type: "button", class: "key-capture", "data-action": action.id });
    // Keys pressed while capturing are the new binding, not button presses: Space would click on
    // key up, so the key up of a captured key is swallowed too.
    let swallowKeyUp = false;
    button.addEventListener("click", () => {
      capturing = capturing === action.id ? null : action.id;
      render();
    });
    button.addEventListener("keydown", (event) => {
      if (capturing !== action.id) return;
      const capture = captureKey(event);
      if (capture.kind === "pass") return;
      event.preventDefault();
      event.stopPropagation();
      if (capture.kind === "wait") return;
      swallowKeyUp = true;
      if (capture.kind === "key") draft = { ...draft, [action.id]: capture.key };
      capturing = null;
      render();
    });
    button.addEventListener("keyup", (event) => {
      if (!swallowKeyUp) return;
      swallowKeyUp = false;
      event.preventDefault();
    });
    button.addEventListener("blur", () => {
      if (capturing !== action.id) return;
      capturing = null;
      render();
    });
    return button;
  }

  function actionRow(action: RegisteredAction): HTMLTableRowElement {
    const toDefault = h("button", { type: "button", class: "button-quiet key-default" }, "Default");
    toDefault.addEventListener("click", () => {
      draft = { ...draft, [action.id]: defaults[action.id] };
      render();
    });
    const row = h(
      "tr",
      { "data-action": action.id },
      h("th", { scope: "row", class: "shortcut-label" }, action.label),
      h("td", {}, keyButton(action)),
      h("td", { class: "shortcut-default" }, h("kbd", {}, keyLabel(defaults[action.id])), " ", toDefault),
    );
    rows.set(action.id, row);
    return row;
  }

  function scopeTable(scope: ShortcutScope, title: string): HTMLElement {
    return h(
      "table",
      { class: "studies shortcut-settings" },
      h("caption", {}, title),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Action"),
          h("th", { scope: "col" }, "Key"),
          h("th", { scope: "col" }, "Default"),
        ),
      ),
      h("tbody", {}, ...SHORTCUT_ACTIONS.filter((action) => action.scope === scope).map(actionRow)),
    );
  }

  function render(): void {
    const clashing = conflictingActions(draft);
    for (const action of SHORTCUT_ACTIONS) {
      const row = rows.get(action.id);
      const button = row?.querySelector<HTMLButtonElement>(".key-capture");
      const toDefault = row?.querySelector<HTMLButtonElement>(".key-default");
      if (!row || !button || !toDefault) continue;
      const isCapturing = capturing === action.id;
      button.textContent = isCapturing ? "Press a key… (Esc cancels)" : keyLabel(draft[action.id]);
      button.setAttribute("aria-pressed", String(isCapturing));
      button.setAttribute(
        "aria-label",
        isCapturing
          ? `Press the new key for ${action.label}`
          : `${action.label}: ${keyLabel(draft[action.id])}. Change`,
      );
      row.classList.toggle("is-conflict", clashing.has(action.id));
      toDefault.hidden = normaliseKey(draft[action.id]) === normaliseKey(defaults[action.id]);
    }
    const messages = conflicts(draft);
    problems.replaceChildren(...messages.map((message) => h("li", {}, message)));
    problems.hidden = messages.length === 0;
    const changed = !sameKeys(draft, saved);
    save.disabled = !changed || messages.length > 0;
    reset.disabled = sameKeys(draft, defaults);
    if (changed) status.textContent = messages.length ? "Resolve the conflicts to save." : "Unsaved changes.";
  }

  save.addEventListener("click", () => {
    save.disabled = true;
    status.textContent = "Saving…";
    alert.hidden = true;
    saveShortcuts(draft)
      .then((stored) => {
        if (unmounted) return;
        saved = stored;
        draft = { ...stored };
        render();
        status.textContent = "Saved. The new keys apply now.";
      })
      .catch((error: unknown) => {
        if (unmounted) return;
        showAlert(alert, describeError(error, "your shortcuts", PREFERENCES));
        status.textContent = "Not saved.";
        render();
      });
  });
  reset.addEventListener("click", () => {
    draft = { ...defaults };
    render();
  });

  root.replaceChildren(
    h(
      "section",
      { class: "settings-page", "aria-labelledby": "shortcuts-heading" },
      h("h1", { id: "shortcuts-heading" }, "Keyboard shortcuts"),
      h(
        "p",
        { class: "muted" },
        "Select a key and press the new one. A key may serve one action per scope; the help key (?) counts in both.",
      ),
      problems,
      alert,
      h("div", { class: "shortcut-scopes" }, ...SCOPES.map(({ scope, title }) => scopeTable(scope, title))),
      h("div", { class: "settings-actions" }, save, reset, status),
    ),
  );
  render();

  void loadShortcuts().then((loaded) => {
    if (unmounted) return;
    saved = loaded;
    draft = { ...loaded };
    status.textContent = "";
    render();
  });

  return () => {
    unmounted = true;
    root.replaceChildren();
  };
}
