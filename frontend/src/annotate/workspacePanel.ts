/**
 * The workspace's side panel: the schema's classes (the model's suggestion marked), the drawing
 * tools with their classes, what is drawn, undo/redo, submit and skip, and the keys. Buttons do
 * what their keys do; the page owns the state and tells the panel what to show.
 */

import type { AnnotationCase, LabelSchema, MaskValue, PreAnnotationOutcome } from "../api/annotate";
import { h } from "../pages/dom";
import type { AnyTool } from "./annotationViewer";
import { rleArea } from "./rle";
import type { KeyBinding, WorkspaceAction } from "./workspaceKeys";

export interface PanelState {
  classes: readonly string[];
  boxes: number;
  masks: readonly MaskValue[];
  tool: AnyTool;
  boxClass: string | undefined;
  maskClass: string | undefined;
  outcome: PreAnnotationOutcome;
}

const OUTCOME_TEXT: Record<PreAnnotationOutcome, string> = {
  kept: "You kept the model's suggestion.",
  edited: "You changed the model's suggestion.",
  none: "",
};

function keyCaption(bindings: readonly KeyBinding[], match: (action: WorkspaceAction) => boolean): string {
  return bindings.find((binding) => match(binding.action))?.key ?? "";
}

export class WorkspacePanel {
  readonly element: HTMLElement;
  private readonly classButtons = new Map<string, HTMLButtonElement>();
  private readonly toolButtons: { button: HTMLButtonElement; tool: AnyTool; regionClass?: string }[] = [];
  private readonly drawn = h("p", { class: "annotate-drawn", "data-testid": "drawn" });
  private readonly outcome = h("p", { class: "annotate-outcome muted", "data-testid": "suggestion-outcome" });
  private readonly keys: HTMLElement;

  constructor(
    caseData: AnnotationCase,
    private readonly schema: LabelSchema,
    bindings: readonly KeyBinding[],
    handlers: { perform(action: WorkspaceAction): void },
  ) {
    const button = (caption: string, key: string, action: WorkspaceAction, extra: Record<string, string> = {}) => {
      const element = h(
        "button",
        { type: "button", class: "button-quiet", title: key ? `${caption} (${key})` : caption, "aria-keyshortcuts": key || undefined, ...extra },
        caption,
        key ? " " : "",
        key ? h("kbd", {}, key) : "",
      );
      element.addEventListener("click", () => {
        handlers.perform(action);
        // Keys go on working after a click.
        element.blur();
      });
      return element;
    };
    const suggestion = caseData.pre_annotation;
    const classes = schema.classes.map((c) => {
      const key = keyCaption(bindings, (a) => a.kind === "class" && a.key === c.key);
      const b = button(c.display_name, key, { kind: "class", key: c.key }, { "data-class": c.key, "aria-pressed": "false" });
      if (suggestion.class === c.key) {
        const p = suggestion.probability;
        b.append(h("span", { class: "annotate-suggested" }, p === null ? " suggested" : ` suggested (${Math.round(p * 100)}%)`));
      }
      this.classButtons.set(c.key, b);
      return b;
    });
    const tool = (caption: string, toolName: AnyTool, regionClass?: string) => {
      const key = keyCaption(
        bindings,
        (a) => a.kind === "tool" && a.tool === toolName && (regionClass === undefined || a.regionClass === regionClass),
      );
      const action: WorkspaceAction = regionClass === undefined ? { kind: "tool", tool: toolName } : { kind: "tool", tool: toolName, regionClass };
      const b = button(caption, key, action, { "data-tool": toolName, "aria-pressed": "false" });
      this.toolButtons.push(regionClass === undefined ? { button: b, tool: toolName } : { button: b, tool: toolName, regionClass });
      return b;
    };
    const fixed = (caption: string, kind: "submit" | "skip" | "undo" | "redo" | "reset" | "invert" | "help") =>
      button(caption, keyCaption(bindings, (a) => a.kind === kind), { kind } as WorkspaceAction, { "data-action": kind });
    this.keys = h(
      "dl",
      { class: "annotate-keys", hidden: true },
      ...bindings.flatMap((binding) => [h("dt", {}, h("kbd", {}, binding.key)), h("dd", {}, binding.label)]),
    );
    this.element = h(
      "aside",
      { class: "annotate-panel", "aria-label": "Labels" },
      h("h2", {}, schema.multi_label ? "Classes (any number)" : "Class"),
      h("div", { class: "annotate-classes", role: "group", "aria-label": "Classes" }, ...classes),
      h("h2", {}, "Draw"),
      h(
        "div",
        { class: "annotate-tools", role: "group", "aria-label": "Drawing tools" },
        ...schema.box_classes.map((c) => tool(`Box: ${c.display_name}`, "box", c.key)),
        ...schema.mask_classes.map((c) => tool(`Brush: ${c.display_name}`, "brush", c.key)),
        tool("Eraser", "eraser"),
        tool("Freehand", "freehand"),
      ),
      h(
        "div",
        { class: "annotate-tools", role: "group", "aria-label": "View" },
        tool("W/L", "windowLevel"),
        tool("Pan", "pan"),
        tool("Zoom", "zoom"),
        fixed("Reset", "reset"),
        fixed("Invert", "invert"),
      ),
      h("div", { class: "annotate-tools", role: "group", "aria-label": "History" }, fixed("Undo", "undo"), fixed("Redo", "redo")),
      this.drawn,
      this.outcome,
      h("div", { class: "annotate-actions" }, fixed("Submit and next", "submit"), fixed("Skip", "skip")),
      fixed("Keys", "help"),
      this.keys,
    );
  }

  show(state: PanelState): void {
    for (const [key, b] of this.classButtons) b.setAttribute("aria-pressed", String(state.classes.includes(key)));
    for (const { button, tool, regionClass } of this.toolButtons) {
      const classMatches =
        regionClass === undefined ||
        (tool === "box" ? regionClass === state.boxClass : regionClass === state.maskClass);
      button.setAttribute("aria-pressed", String(tool === state.tool && classMatches));
    }
    const maskText = state.masks
      .map((mask) => {
        const name = this.schema.mask_classes.find((c) => c.key === mask.class)?.display_name ?? mask.class;
        return `${name}: ${rleArea(mask.rle)} px`;
      })
      .join(", ");
    this.drawn.textContent = `Boxes: ${state.boxes}. Masks: ${maskText || "none"}.`;
    this.drawn.dataset["boxes"] = String(state.boxes);
    this.drawn.dataset["maskPixels"] = String(state.masks.reduce((sum, m) => sum + rleArea(m.rle), 0));
    this.outcome.textContent = OUTCOME_TEXT[state.outcome];
    this.outcome.dataset["outcome"] = state.outcome;
  }

  toggleKeys(): void {
    this.keys.hidden = !this.keys.hidden;
  }
}
