/**
 * One case under review: the de-identified image (the annotation workspace's viewer, showing the
 * boxes and masks of the annotator chosen), every annotator's labels, the model's suggestion,
 * and the decision (accept / edit / reject) with its keyboard shortcuts. Before the decision the
 * workspace's drawing tools are on the viewer, so an edit can redraw the chosen annotator's
 * boxes and masks (or draw new ones); what is on the image is what "edit" sends.
 */

import type { LabelInput, LabelSchema, StoredLabel } from "../api/annotate";
import { getSchema } from "../api/annotate";
import { classDisplayName } from "../api/tasks";
import { AnnotationViewer } from "../annotate/annotationViewer";
import { rleArea } from "../annotate/rle";
import { keyOf } from "../app/shortcuts";
import { h } from "../pages/dom";
import { type Decision, type ReviewCase, decideCase } from "./reviewApi";
import { asInput, decisionBody, describeLabel, disputeText, formatFigure, formatVotes } from "./reviewFormat";
import { type DrawingAction, type DrawingKey, drawingButtons, reviewDrawingKeys } from "./reviewTools";

export interface ReviewCaseOptions {
  /** The decision was stored: show the next case. */
  onDecided(caseData: ReviewCase): void;
  onError(message: string): void;
}

export interface ReviewCaseView {
  element: HTMLElement;
  destroy(): void;
}

const KEYS: Record<string, Decision> = { a: "accept", e: "edit", r: "reject" };

function regionsOf(labels: readonly StoredLabel[]): LabelInput[] {
  return labels.filter((label) => label.kind !== "class").map(asInput);
}

function classesOf(labels: readonly StoredLabel[]): string[] {
  return labels.filter((label) => label.kind === "class").map((label) => String(label.value));
}

export function mountReviewCase(caseData: ReviewCase, options: ReviewCaseOptions): ReviewCaseView {
  const name = (key: string): string => classDisplayName(key, caseData.task);
  let schema: LabelSchema | null = null;
  let viewer: AnnotationViewer | null = null;
  let shown = -1; // the annotator whose regions the viewer shows
  let chosen: string[] | null = null; // classes chosen by the reviewer (null: the majority)
  let sending = false;
  let edited = false; // the reviewer drew, moved or removed a region since the viewer opened
  let drawingKeys: DrawingKey[] = [];

  const message = h("p", { class: "status review-message", role: "status", "data-testid": "review-message" });
  const imageSlot = h("div", { class: "review-image" });
  const classButtons = h("div", { class: "review-classes", role: "group", "aria-label": "Class for the truth" });
  const note = h("textarea", { rows: 2, "data-testid": "review-note", placeholder: "Note (required to reject)" });
  const decided = caseData.decision !== null;
  const tools = h("div", { class: "annotate-tools review-tools", role: "group", "aria-label": "Drawing tools", hidden: true });
  const drawn = h("p", { class: "review-drawn", "data-testid": "review-drawn" });

  /** What the viewer holds now, in words and (for tests) figures. */
  function showDrawn(): void {
    const boxes = viewer?.boxes() ?? [];
    const pixels = (viewer?.masks() ?? []).reduce((sum, mask) => sum + rleArea(mask.rle), 0);
    drawn.textContent = `On the image: ${boxes.length} box${boxes.length === 1 ? "" : "es"}, ${pixels} mask pixels${
      edited ? " (edited by you)" : ""
    }.`;
    drawn.dataset["boxes"] = String(boxes.length);
    drawn.dataset["maskPixels"] = String(pixels);
    drawn.dataset["edited"] = String(edited);
  }

  function perform(action: DrawingAction): void {
    if (!viewer || decided) return;
    if (action.kind === "undo") viewer.undo();
    else if (action.kind === "redo") viewer.redo();
    else if (action.kind === "reset" || action.kind === "invert") viewer.perform(action.kind);
    else viewer.useTool(action.tool, action.regionClass);
    for (const button of tools.querySelectorAll<HTMLButtonElement>("button[data-tool]")) {
      const pressed = button.dataset["tool"] === viewer.currentTool && (!button.dataset["regionClass"] ||
        button.dataset["regionClass"] === (viewer.currentTool === "box" ? viewer.currentBoxClass : viewer.currentMaskClass));
      button.setAttribute("aria-pressed", String(pressed));
    }
  }

  function showTools(current: LabelSchema): void {
    drawingKeys = reviewDrawingKeys(current, Object.keys(KEYS));
    tools.replaceChildren(
      ...drawingButtons(current, drawingKeys).map(({ caption, key, action }) => {
        const extra: Record<string, string> =
          action.kind === "tool"
            ? { "data-tool": action.tool, "aria-pressed": "false", ...(action.regionClass ? { "data-region-class": action.regionClass } : {}) }
            : { "data-action": action.kind };
        const button = h(
          "button",
          { type: "button", class: "button-quiet", title: key ? `${caption} (${key})` : caption, "aria-keyshortcuts": key || undefined, ...extra },
          caption,
          key ? " " : "",
          key ? h("kbd", {}, key) : "",
        );
        button.addEventListener("click", () => {
          perform(action);
          button.blur(); // keys go on working after a click
        });
        return button;
      }),
    );
    tools.hidden = decided;
  }

  function showRegions(index: number): void {
    shown = index;
    viewer?.destroy();
    viewer = null;
    imageSlot.replaceChildren();
    if (!schema) return;
    const labels = caseData.annotations[index]?.labels ?? caseData.labels;
    edited = false;
    const current = new AnnotationViewer({
      caseData: { ...caseData, labels: [], slot: { number: 0, status: "", locked_until: null, started_at: null }, progress: { done: 0, batch_size: 0, position: 0 } },
      schema,
      onChange: () => {
        if (viewer !== current) return;
        edited = true;
        showDrawn();
      },
      onError: options.onError,
    });
    viewer = current;
    imageSlot.append(current.element);
    void current.ready.then(() => {
      if (viewer !== current) return;
      const regions = regionsOf(labels);
      current.restore(
        regions.flatMap((r) => (r.kind === "box" ? [r.value] : [])),
        regions.flatMap((r) => (r.kind === "mask" ? [r.value] : [])),
      );
      showDrawn();
      imageSlot.dataset["ready"] = "true";
    });
    for (const row of annotatorRows) row.toggleAttribute("aria-current", row.dataset["index"] === String(index));
  }

  function choose(classes: string[] | null): void {
    chosen = classes;
    for (const button of classButtons.querySelectorAll<HTMLButtonElement>("button")) {
      button.setAttribute("aria-pressed", String(!!classes?.includes(button.dataset["class"] ?? "")));
    }
  }

  /**
   * The regions to keep: those now on the image (the chosen annotator's as the reviewer left
   * them, and whatever the reviewer drew), else none.
   */
  function keptRegions(): LabelInput[] {
    if (!viewer || (shown < 0 && !edited)) return [];
    return [
      ...viewer.boxes().map((value) => ({ kind: "box", value }) as LabelInput),
      ...viewer.masks().map((value) => ({ kind: "mask", value }) as LabelInput),
    ];
  }

  async function decide(decision: Decision): Promise<void> {
    if (sending || decided) return;
    const body = decisionBody(
      {
        decision,
        classes: chosen,
        // Accepting the majority untouched sends no regions (the server takes the majority's);
        // once the reviewer chose or drew, what is on the image is the truth.
        regions: decision === "reject" || (chosen === null && !edited) ? [] : keptRegions(),
        note: note.value,
      },
      caseData.agreement,
    );
    if (typeof body === "string") {
      message.textContent = body;
      if (decision === "reject") note.focus();
      return;
    }
    sending = true;
    message.textContent = "Saving the decision…";
    try {
      const answer = await decideCase(caseData.id, body);
      message.textContent = `Decided: ${answer.decision?.decision ?? decision}.`;
      options.onDecided(answer);
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : "The decision could not be saved.";
    } finally {
      sending = false;
    }
  }

  const annotatorRows = caseData.annotations.map((entry, index) => {
    const use = h("button", { type: "button", class: "button-quiet" }, "Take these");
    use.addEventListener("click", () => {
      choose(classesOf(entry.labels));
      showRegions(index);
    });
    const row = h(
      "tr",
      { "data-index": index, "data-annotator": entry.annotator },
      h("th", { scope: "row" }, entry.annotator),
      h("td", {}, entry.labels.map((label) => describeLabel(label, name)).join("; ") || "—"),
      h("td", { class: "cell-number" }, entry.seconds_spent === null ? "—" : `${Math.round(entry.seconds_spent)} s`),
      h("td", {}, decided ? "" : use),
    );
    row.addEventListener("click", (event) => {
      if (!(event.target instanceof HTMLButtonElement)) showRegions(index);
    });
    return row;
  });

  const suggestion = caseData.pre_annotation.class
    ? `${name(caseData.pre_annotation.class)} (p = ${formatFigure(caseData.pre_annotation.probability)})`
    : "none";
  const { agreement } = caseData;
  const buttons = (["accept", "edit", "reject"] as const).map((decision) => {
    const key = Object.keys(KEYS).find((k) => KEYS[k] === decision) ?? "";
    const button = h(
      "button",
      { type: "button", class: decision === "accept" ? "button-primary" : "", "data-decision": decision, "aria-keyshortcuts": key },
      `${decision[0]?.toUpperCase()}${decision.slice(1)} (${key})`,
    );
    button.addEventListener("click", () => void decide(decision));
    return button;
  });

  const element = h(
    "section",
    { class: "review-case", "data-testid": "review-case", "data-case": caseData.id, "aria-label": `Case ${caseData.id}` },
    h("h2", {}, `Case ${caseData.id}`),
    h(
      "dl",
      { class: "review-facts" },
      h("dt", {}, "Votes"),
      h("dd", {}, `${formatVotes(agreement.votes, name)} (${disputeText(agreement)})`),
      h("dt", {}, "Box IoU"),
      h("dd", {}, `${formatFigure(agreement.box_iou)} (${agreement.box_pairs} pairs)`),
      h("dt", {}, "Mask Dice"),
      h("dd", {}, `${formatFigure(agreement.mask_dice)} (${agreement.mask_pairs} pairs)`),
      h("dt", {}, "Model suggests"),
      h("dd", {}, suggestion),
    ),
    imageSlot,
    tools,
    drawn,
    h(
      "table",
      { class: "studies review-annotations", "data-testid": "review-annotations" },
      h("caption", {}, "Each annotator's labels (click a row to show their boxes and masks)"),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Annotator"), h("th", { scope: "col" }, "Labels"), h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "")),
      ),
      h("tbody", {}, ...annotatorRows),
    ),
    decided
      ? h(
          "p",
          { class: "review-decided", "data-testid": "review-decided" },
          `Decided: ${caseData.decision?.decision} by ${caseData.decision?.reviewer}. Truth: ${
            caseData.labels.map((label) => describeLabel(label, name)).join("; ") || "none"
          }`,
        )
      : h(
          "div",
          { class: "review-decision" },
          classButtons,
          note,
          h("div", { class: "review-buttons" }, ...buttons),
          h(
            "p",
            { class: "hint" },
            "Keys: number = choose a class · a = accept (the majority, or what you chose) · e = edit (your class with the boxes and masks on the image: take an annotator's, then redraw them with the tools above) · r = reject (with a note) · ctrl+z / ctrl+shift+z = undo / redo a drawing",
          ),
        ),
    message,
  );

  void getSchema(caseData.task, caseData.schema_version)
    .then((answer) => {
      schema = answer;
      showTools(answer);
      classButtons.replaceChildren(
        ...answer.classes.map((option) => {
          const button = h(
            "button",
            { type: "button", "data-class": option.key, "aria-pressed": "false", "aria-keyshortcuts": option.hotkey },
            `${option.hotkey} ${option.display_name}`,
          );
          button.addEventListener("click", () => choose([option.key]));
          return button;
        }),
      );
      showRegions(-1); // the truth, once decided; nothing drawn before
    })
    .catch(() => options.onError("The label schema could not be loaded."));

  function onKey(event: KeyboardEvent): void {
    if (decided) return;
    const target = event.target;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
    const drawing = drawingKeys.find((binding) => binding.key === keyOf(event));
    if (drawing) {
      event.preventDefault();
      perform(drawing.action);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const decision = KEYS[event.key.toLowerCase()];
    const option = schema?.classes.find((c) => c.hotkey === event.key);
    if (decision) void decide(decision);
    else if (option) choose([option.key]);
    else return;
    event.preventDefault();
  }
  document.addEventListener("keydown", onKey);

  return {
    element,
    destroy() {
      document.removeEventListener("keydown", onKey);
      viewer?.destroy();
    },
  };
}
