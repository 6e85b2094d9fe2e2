/**
 * The reviewer's drawing tools when editing: the annotation workspace's own (box, brush, eraser,
 * freehand, view tools, undo/redo, all through AnnotationViewer) on the keys the workspace gives
 * them, less the keys the review page already uses for its decisions and classes. Pure, so which
 * keys survive is seen in a test.
 */

import type { LabelSchema } from "../api/annotate";
import type { AnyTool } from "../annotate/annotationViewer";
import { type KeyBinding, type WorkspaceAction, workspaceKeys } from "../annotate/workspaceKeys";

/** A drawing or view action the review page offers (not the workspace's submit, skip or classes). */
export type DrawingAction = Extract<WorkspaceAction, { kind: "tool" | "undo" | "redo" | "reset" | "invert" }>;

export interface DrawingButton {
  caption: string;
  /** The key that does the same, or "" when the review page keeps that key for itself. */
  key: string;
  action: DrawingAction;
}

function isDrawing(action: WorkspaceAction): action is DrawingAction {
  return ["tool", "undo", "redo", "reset", "invert"].includes(action.kind);
}

const lower = (key: string): string => (key.length === 1 ? key.toLowerCase() : key);

/**
 * The workspace's drawing keys for this schema that the review page can give the reviewer:
 * `reserved` (the decision keys) and the schema's class hotkeys stay the page's own.
 */
export type DrawingKey = KeyBinding & { action: DrawingAction };

export function reviewDrawingKeys(schema: LabelSchema, reserved: readonly string[]): DrawingKey[] {
  const taken = new Set([...reserved, ...schema.classes.map((c) => c.hotkey)].map(lower));
  return workspaceKeys(schema).bindings.filter(
    (binding): binding is DrawingKey => isDrawing(binding.action) && !taken.has(binding.key),
  );
}

function sameAction(a: WorkspaceAction, b: WorkspaceAction): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "tool" && b.kind === "tool") return a.tool === b.tool && a.regionClass === b.regionClass;
  return true;
}

/** The toolbar: a box and a brush per region class, eraser, freehand, view tools, undo, redo. */
export function drawingButtons(schema: LabelSchema, keys: readonly KeyBinding[]): DrawingButton[] {
  const tool = (caption: string, name: AnyTool, regionClass?: string): DrawingButton => ({
    caption,
    key: "",
    action: regionClass === undefined ? { kind: "tool", tool: name } : { kind: "tool", tool: name, regionClass },
  });
  const buttons: DrawingButton[] = [
    ...schema.box_classes.map((c) => tool(`Box: ${c.display_name}`, "box", c.key)),
    ...schema.mask_classes.map((c) => tool(`Brush: ${c.display_name}`, "brush", c.key)),
    tool("Eraser", "eraser"),
    tool("Freehand", "freehand"),
    tool("W/L", "windowLevel"),
    tool("Pan", "pan"),
    tool("Zoom", "zoom"),
    { caption: "Undo", key: "", action: { kind: "undo" } },
    { caption: "Redo", key: "", action: { kind: "redo" } },
  ];
  return buttons.map((button) => ({
    ...button,
    key: keys.find((binding) => sameAction(binding.action, button.action))?.key ?? "",
  }));
}
