/** Reading the key a user presses to bind it to an action (the settings page's "press a key"). */

import { keyOf } from "../app/shortcuts";

export type Capture =
  /** Bind this key (written as shortcuts write keys). */
  | { kind: "key"; key: string }
  /** Stop capturing, keep the old key (Esc). */
  | { kind: "cancel" }
  /** A modifier alone or a dead key: wait for the rest of the chord. */
  | { kind: "wait" }
  /** Tab: let focus move on (leaving the button cancels). */
  | { kind: "pass" };

const NOT_YET = new Set([
  "Shift",
  "Control",
  "Alt",
  "AltGraph",
  "Meta",
  "OS",
  "Super",
  "Hyper",
  "Fn",
  "FnLock",
  "CapsLock",
  "NumLock",
  "ScrollLock",
  "Dead",
  "Process",
  "Unidentified",
]);

type KeyEvent = Pick<KeyboardEvent, "key" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">;

export function captureKey(event: KeyEvent): Capture {
  const modified = event.ctrlKey || event.altKey || event.metaKey || event.shiftKey;
  if (event.key === "Escape" && !modified) return { kind: "cancel" };
  if (event.key === "Tab") return { kind: "pass" };
  if (NOT_YET.has(event.key)) return { kind: "wait" };
  return { kind: "key", key: keyOf(event) };
}
