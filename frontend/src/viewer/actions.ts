/** The viewer's actions: the shortcut registry's "viewer.*" entries, for keys and toolbar alike. */

import type { ShortcutId } from "../app/shortcuts";

export type ViewerAction = Extract<ShortcutId, `viewer.${string}`>;

export function isViewerAction(id: ShortcutId): id is ViewerAction {
  return id.startsWith("viewer.");
}
