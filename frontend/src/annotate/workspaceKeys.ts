/**
 * The workspace's keys: the schema's own hotkeys (class n on key n, a box class on "b", a mask
 * class on "m", as the admin set them) and the fixed ones for tools, undo, submit and skip. Pure,
 * so a schema whose hotkeys collide with a fixed key is seen in a test, not by an annotator.
 */

import type { LabelSchema } from "../api/annotate";
import type { AnyTool } from "./annotationViewer";

export type WorkspaceAction =
  | { kind: "submit" }
  | { kind: "skip" }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "reset" }
  | { kind: "invert" }
  | { kind: "help" }
  | { kind: "class"; key: string }
  | { kind: "tool"; tool: AnyTool; regionClass?: string };

/** Keys that mean the same in every schema; written as keyOf() writes a key event. */
export const FIXED_KEYS: readonly [string, WorkspaceAction, string][] = [
  ["n", { kind: "submit" }, "Submit and take the next case"],
  ["Enter", { kind: "submit" }, "Submit and take the next case"],
  ["s", { kind: "skip" }, "Skip this case (asks for a reason)"],
  ["Ctrl+z", { kind: "undo" }, "Undo"],
  ["Ctrl+Shift+z", { kind: "redo" }, "Redo"],
  ["Ctrl+y", { kind: "redo" }, "Redo"],
  ["e", { kind: "tool", tool: "eraser" }, "Eraser"],
  ["f", { kind: "tool", tool: "freehand" }, "Freehand contour (filled into the mask)"],
  ["v", { kind: "tool", tool: "windowLevel" }, "Window/level"],
  ["p", { kind: "tool", tool: "pan" }, "Pan"],
  ["z", { kind: "tool", tool: "zoom" }, "Zoom"],
  ["0", { kind: "reset" }, "Reset the view"],
  ["i", { kind: "invert" }, "Invert"],
  ["?", { kind: "help" }, "Show the keys"],
];

export interface KeyBinding {
  key: string;
  action: WorkspaceAction;
  label: string;
}

/**
 * Every key of the workspace for this schema. A fixed key comes first: a schema hotkey that
 * takes one of them is left out and listed in `clashes`, so the page can say so.
 */
export function workspaceKeys(schema: LabelSchema): { bindings: KeyBinding[]; clashes: string[] } {
  const bindings: KeyBinding[] = FIXED_KEYS.map(([key, action, label]) => ({ key, action, label }));
  const taken = new Set(bindings.map((binding) => binding.key));
  const clashes: string[] = [];
  const add = (hotkey: string, action: WorkspaceAction, label: string): void => {
    const key = hotkey.length === 1 ? hotkey.toLowerCase() : hotkey;
    if (!key) return;
    if (taken.has(key)) {
      clashes.push(`${label} (${hotkey})`);
      return;
    }
    taken.add(key);
    bindings.push({ key, action, label });
  };
  for (const c of schema.classes) add(c.hotkey, { kind: "class", key: c.key }, `Class: ${c.display_name}`);
  for (const c of schema.box_classes) {
    add(c.hotkey, { kind: "tool", tool: "box", regionClass: c.key }, `Box: ${c.display_name}`);
  }
  for (const c of schema.mask_classes) {
    add(c.hotkey, { kind: "tool", tool: "brush", regionClass: c.key }, `Brush: ${c.display_name}`);
  }
  return { bindings, clashes };
}
