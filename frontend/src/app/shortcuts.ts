/**
 * Keyboard shortcuts: every action a reader can take from the keyboard, its default key, and the
 * user's own choices (stored on the server with GET/PUT /api/me/preferences, so they follow the
 * reader to any workstation).
 *
 * A key is written as KeyboardEvent.key, with "Ctrl+", "Alt+", "Shift+" prefixes where a
 * modifier is part of it ("ArrowDown", "Enter", "a", "Shift+N", "?"). Letters match either case
 * unless "Shift+" is written.
 */

import { getJson, sendJson } from "../api/http";

export type ShortcutScope = "worklist" | "reading";

export interface ShortcutAction {
  id: string;
  scope: ShortcutScope;
  label: string;
  defaultKey: string;
}

export const SHORTCUT_ACTIONS = [
  // Worklist
  { id: "worklist.up", scope: "worklist", label: "Previous study", defaultKey: "ArrowUp" },
  { id: "worklist.down", scope: "worklist", label: "Next study in the list", defaultKey: "ArrowDown" },
  { id: "worklist.open", scope: "worklist", label: "Open the selected study", defaultKey: "Enter" },
  {
    id: "worklist.nextUrgent",
    scope: "worklist",
    label: "Open the most urgent unclaimed study",
    defaultKey: "n",
  },
  { id: "worklist.search", scope: "worklist", label: "Search", defaultKey: "/" },
  { id: "worklist.pageDown", scope: "worklist", label: "Next page", defaultKey: "PageDown" },
  { id: "worklist.pageUp", scope: "worklist", label: "Previous page", defaultKey: "PageUp" },
  { id: "help", scope: "worklist", label: "Show the shortcuts", defaultKey: "?" },
  // Reading (viewer)
  { id: "read.aiRight", scope: "reading", label: "Read: the AI is right", defaultKey: "a" },
  { id: "read.aiWrong", scope: "reading", label: "Read: the AI is wrong", defaultKey: "w" },
  { id: "read.done", scope: "reading", label: "Read (no AI result to judge)", defaultKey: "r" },
  {
    id: "read.nextUrgent",
    scope: "reading",
    label: "Leave and open the most urgent unclaimed study",
    defaultKey: "n",
  },
  { id: "read.back", scope: "reading", label: "Back to the worklist (releases it)", defaultKey: "Escape" },
  { id: "viewer.nextImage", scope: "reading", label: "Next image / slice", defaultKey: "ArrowDown" },
  { id: "viewer.previousImage", scope: "reading", label: "Previous image / slice", defaultKey: "ArrowUp" },
  { id: "viewer.nextSeries", scope: "reading", label: "Next series", defaultKey: "ArrowRight" },
  { id: "viewer.previousSeries", scope: "reading", label: "Previous series", defaultKey: "ArrowLeft" },
  // Window presets by position: what each one is depends on the image's modality.
  {
    id: "viewer.presetLung",
    scope: "reading",
    label: "Window preset 1 (CT: lung; X-ray and others: the image's own)",
    defaultKey: "1",
  },
  {
    id: "viewer.presetMediastinum",
    scope: "reading",
    label: "Window preset 2 (CT: mediastinum; X-ray: lung contrast; others: full range)",
    defaultKey: "2",
  },
  {
    id: "viewer.presetBone",
    scope: "reading",
    label: "Window preset 3 (CT: bone; X-ray: bone contrast)",
    defaultKey: "3",
  },
  { id: "viewer.presetBrain", scope: "reading", label: "Window preset 4 (CT: brain)", defaultKey: "4" },
  { id: "viewer.invert", scope: "reading", label: "Invert", defaultKey: "i" },
  { id: "viewer.reset", scope: "reading", label: "Reset the view", defaultKey: "0" },
  { id: "viewer.heatmap", scope: "reading", label: "Show or hide the AI heatmap", defaultKey: "h" },
  { id: "viewer.heatmapMore", scope: "reading", label: "Heatmap more opaque", defaultKey: "]" },
  { id: "viewer.heatmapLess", scope: "reading", label: "Heatmap more transparent", defaultKey: "[" },
  { id: "viewer.toolWindowLevel", scope: "reading", label: "Tool: window/level", defaultKey: "v" },
  { id: "viewer.toolPan", scope: "reading", label: "Tool: pan", defaultKey: "p" },
  { id: "viewer.toolZoom", scope: "reading", label: "Tool: zoom", defaultKey: "z" },
  { id: "viewer.toolLength", scope: "reading", label: "Tool: length", defaultKey: "l" },
  { id: "viewer.toolAngle", scope: "reading", label: "Tool: angle", defaultKey: "g" },
  { id: "viewer.toolRoi", scope: "reading", label: "Tool: elliptical ROI", defaultKey: "o" },
] as const satisfies readonly ShortcutAction[];

export type RegisteredAction = (typeof SHORTCUT_ACTIONS)[number];
export type ShortcutId = RegisteredAction["id"];
export type ShortcutMap = Record<ShortcutId, string>;

export function defaultShortcuts(): ShortcutMap {
  return Object.fromEntries(SHORTCUT_ACTIONS.map((a) => [a.id, a.defaultKey])) as ShortcutMap;
}

/** The key written for a keyboard event, in the form shortcuts use ("Shift+N", "a", "Enter"). */
export function keyOf(
  event: Pick<KeyboardEvent, "key" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">,
): string {
  const prefix = `${event.ctrlKey || event.metaKey ? "Ctrl+" : ""}${event.altKey ? "Alt+" : ""}`;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  // Shift is part of printable characters already ("?", "A"); only letters keep it explicit.
  const letter = /^[a-z]$/.test(key);
  const shift = event.shiftKey && (letter || event.key.length > 1) ? "Shift+" : "";
  return `${prefix}${shift}${key}`;
}

const MODIFIER_NAMES: Record<string, "Ctrl" | "Alt" | "Shift"> = {
  ctrl: "Ctrl",
  control: "Ctrl",
  meta: "Ctrl",
  cmd: "Ctrl",
  alt: "Alt",
  option: "Alt",
  shift: "Shift",
};
const WRITTEN_KEY = /^((?:(?:ctrl|control|meta|cmd|alt|option|shift)\+)*)(.+)$/i;

/**
 * Normalise a written key so that "A", "a" and "shift+a" compare as the user means. The key
 * itself may be "+" ("Ctrl++"); Meta counts as Ctrl, as keyOf() reads it.
 */
export function normaliseKey(written: string): string {
  const match = WRITTEN_KEY.exec(written);
  if (!match) return written;
  const [, prefix = "", key = ""] = match;
  const mods = new Set(
    prefix
      .split("+")
      .filter(Boolean)
      .map((name) => MODIFIER_NAMES[name.toLowerCase()]),
  );
  const base = key.length === 1 ? key.toLowerCase() : key;
  return `${mods.has("Ctrl") ? "Ctrl+" : ""}${mods.has("Alt") ? "Alt+" : ""}${mods.has("Shift") ? "Shift+" : ""}${base}`;
}

const KEY_LABELS: Record<string, string> = {
  ArrowUp: "↑",
  ArrowDown: "↓",
  ArrowLeft: "←",
  ArrowRight: "→",
  Escape: "Esc",
  " ": "Space",
  PageUp: "Page Up",
  PageDown: "Page Down",
};

/** A key as people read it on a keycap: "Shift+N", "↓", "Esc", "Space", "?". */
export function keyLabel(written: string): string {
  const normal = normaliseKey(written);
  const match = WRITTEN_KEY.exec(normal);
  const [, prefix = "", key = normal] = match ?? [];
  const shown = KEY_LABELS[key] ?? (key.length === 1 && prefix.includes("Shift") ? key.toUpperCase() : key);
  return `${prefix}${shown}`;
}

/** The action in `scope` bound to this event's key, if any. */
export function actionFor(
  event: Pick<KeyboardEvent, "key" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">,
  scope: ShortcutScope,
  shortcuts: ShortcutMap,
): ShortcutId | null {
  const pressed = keyOf(event);
  for (const action of SHORTCUT_ACTIONS) {
    if (action.scope !== scope && action.id !== "help") continue;
    if (normaliseKey(shortcuts[action.id]) === pressed) return action.id;
  }
  return null;
}

/** Actions whose key is shared, per scope ("help" counts in both), as [key, actions] pairs. */
function sharedKeys(shortcuts: ShortcutMap): [string, RegisteredAction[]][] {
  const shared: [string, RegisteredAction[]][] = [];
  for (const scope of ["worklist", "reading"] as const) {
    const byKey = new Map<string, RegisteredAction[]>();
    for (const action of SHORTCUT_ACTIONS) {
      if (action.scope !== scope && action.id !== "help") continue;
      const key = normaliseKey(shortcuts[action.id]);
      byKey.set(key, [...(byKey.get(key) ?? []), action]);
    }
    for (const entry of byKey) if (entry[1].length > 1) shared.push(entry);
  }
  return shared;
}

/** Keys bound to two actions of one scope: the settings form refuses to save these. */
export function conflicts(shortcuts: ShortcutMap): string[] {
  return sharedKeys(shortcuts).map(([key, actions]) => {
    const labels = actions.map((action) => `"${action.label}"`);
    const both = labels.length === 2 ? "both " : "";
    return `"${keyLabel(key)}" is bound to ${both}${labels.slice(0, -1).join(", ")} and ${labels.at(-1) ?? ""}.`;
  });
}

/** The actions involved in a conflict, to mark them in the settings form. */
export function conflictingActions(shortcuts: ShortcutMap): Set<ShortcutId> {
  return new Set(sharedKeys(shortcuts).flatMap(([, actions]) => actions.map((action) => action.id)));
}

/** True when the event comes from a text field, where keys type text instead of acting. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

interface Preferences {
  shortcuts: Partial<Record<string, string>>;
}

let loaded: Promise<ShortcutMap> | null = null;

/**
 * The user's shortcuts (their choices over the defaults), fetched once per page load. When the
 * preferences cannot be read the defaults apply, and the next call asks again.
 */
export function loadShortcuts(): Promise<ShortcutMap> {
  loaded ??= getJson<Preferences>("/api/me/preferences")
    .then((prefs) => mergeShortcuts(prefs.shortcuts))
    .catch(() => {
      loaded = null;
      return defaultShortcuts();
    });
  return loaded;
}

export function mergeShortcuts(chosen: Partial<Record<string, string>>): ShortcutMap {
  const merged = defaultShortcuts();
  for (const action of SHORTCUT_ACTIONS) {
    const key = chosen[action.id];
    if (typeof key === "string" && key.length > 0) merged[action.id] = key;
  }
  return merged;
}

/** Save the user's shortcuts; only keys that differ from the defaults are stored. */
export async function saveShortcuts(shortcuts: ShortcutMap): Promise<ShortcutMap> {
  const defaults = defaultShortcuts();
  const changed = Object.fromEntries(
    SHORTCUT_ACTIONS.filter((a) => normaliseKey(shortcuts[a.id]) !== normaliseKey(defaults[a.id])).map(
      (a) => [a.id, shortcuts[a.id]],
    ),
  );
  const saved = await sendJson<Preferences>("PUT", "/api/me/preferences", { shortcuts: changed });
  const merged = mergeShortcuts(saved.shortcuts);
  loaded = Promise.resolve(merged);
  return merged;
}
