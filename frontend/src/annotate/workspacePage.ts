/**
 * The annotator's workspace (/annotate, /annotate/<pseudonym>): one case at a time from the
 * active-learning queue, labelled by keyboard (class keys, tool keys, N to submit and take the
 * next, S to skip with a reason), saved as the annotator works, and restored on reload from the
 * server. The case's pseudonym is in the address, so a reload opens the same case.
 */

import "../viewer/viewer.css";
import "./annotate.css";

import {
  type AnnotationCase,
  type LabelSchema,
  getCase,
  getSchema,
  nextCase,
  saveLabels,
  skipCase,
} from "../api/annotate";
import { ApiError } from "../api/http";
import { isTyping, keyOf } from "../app/shortcuts";
import { h } from "../pages/dom";
import { problemText as readingProblemText } from "../reading/problemText";
import { AnnotationViewer } from "./annotationViewer";
import { Autosave, type SaveState, saveStateText } from "./autosave";
import { type CaseLabels, isEmpty, labelInputs, preAnnotationOutcome, splitStored, toggleClass } from "./caseLabels";
import { CaseTimer } from "./caseTimer";
import { type KeyBinding, type WorkspaceAction, workspaceKeys } from "./workspaceKeys";
import { WorkspacePanel } from "./workspacePanel";

export interface WorkspaceNavigation {
  /** Open another case's address (a new history entry). */
  toCase(pseudonym: string): void;
}

export function annotatePath(pseudonym?: string): string {
  return pseudonym ? `/annotate/${encodeURIComponent(pseudonym)}` : "/annotate";
}

/** Mount the workspace; `pseudonym` null takes the caller's next case. Returns the unmount. */
export function mountWorkspacePage(
  root: HTMLElement,
  pseudonym: string | null,
  nav: WorkspaceNavigation,
): () => void {
  const page = new WorkspacePage(root, pseudonym, nav);
  return () => page.unmount();
}

/**
 * A failed request in the annotator's words: the server's own reason where it gave one (a case
 * not given to them, a refused label), else the reading page's wording.
 */
export function problemText(error: unknown, doing: string): string {
  const theirs = ["forbidden", "not-found", "conflict", "bad-request"];
  if (error instanceof ApiError && theirs.includes(error.kind) && error.message) {
    return `Could not ${doing}: ${error.message}`;
  }
  if (error instanceof ApiError && error.kind === "not-found") return `Could not ${doing}.`;
  return readingProblemText(error, doing);
}

class WorkspacePage {
  private readonly section: HTMLElement;
  private readonly title = h("h1", { class: "annotate-title" }, "Annotation");
  private readonly progress = h("p", { class: "annotate-progress", "data-testid": "annotate-progress" });
  private readonly saveState = h("p", { class: "annotate-save", role: "status", "data-testid": "save-state" });
  private readonly alert = h("div", { class: "alert", role: "alert", hidden: true });
  private readonly body = h("div", { class: "annotate-body" }, h("p", { class: "muted" }, "Loading your case…"));
  private caseData: AnnotationCase | null = null;
  private schema: LabelSchema | null = null;
  private viewer: AnnotationViewer | null = null;
  private panel: WorkspacePanel | null = null;
  private bindings: KeyBinding[] = [];
  private classes: string[] = [];
  private autosave: Autosave | null = null;
  private timer: CaseTimer | null = null;
  private skipDialog: HTMLDialogElement | null = null;
  /** The labels as they were when the page left (the viewer is gone; a last save sends these). */
  private frozen: CaseLabels | null = null;
  private busy = false;
  private left = false;

  constructor(
    root: HTMLElement,
    private readonly pseudonym: string | null,
    private readonly nav: WorkspaceNavigation,
  ) {
    this.section = h(
      "section",
      { class: "annotate", "aria-label": "Annotation workspace" },
      h("header", { class: "annotate-head" }, this.title, this.progress, this.saveState),
      this.alert,
      this.body,
    );
    root.replaceChildren(this.section);
    document.addEventListener("keydown", this.onKey);
    document.addEventListener("visibilitychange", this.onVisibility);
    window.addEventListener("pagehide", this.onPageHide);
    void this.open();
  }

  private async open(): Promise<void> {
    let caseData: AnnotationCase | null;
    try {
      caseData = this.pseudonym ? await getCase(this.pseudonym) : await nextCase();
    } catch (error) {
      if (!this.left) this.showNoCase(problemText(error, "open this case"));
      return;
    }
    if (this.left) return;
    if (!caseData) {
      this.showNoCase("Nothing is left for you to label. New cases come when the model has scored more images.");
      return;
    }
    if (!this.pseudonym) {
      // The case's own address, so a reload opens it again (not another one).
      window.history.replaceState(window.history.state, "", annotatePath(caseData.id));
    }
    let schema: LabelSchema;
    try {
      schema = await getSchema(caseData.task, caseData.schema_version);
    } catch (error) {
      if (!this.left) this.showProblem(problemText(error, "load the label schema"));
      return;
    }
    if (this.left) return;
    this.show(caseData, schema);
  }

  private show(caseData: AnnotationCase, schema: LabelSchema): void {
    this.caseData = caseData;
    this.schema = schema;
    document.title = `Case ${caseData.id} · Annotation`;
    this.title.textContent = `Case ${caseData.id}`;
    const { position, batch_size: size, done } = caseData.progress;
    this.progress.textContent = `${position} of ${size} in this batch (${done} done)`;
    const { bindings, clashes } = workspaceKeys(schema);
    this.bindings = bindings;
    if (clashes.length) this.showProblem(`These schema keys clash with the workspace's own and are off: ${clashes.join(", ")}.`);

    this.timer = new CaseTimer(caseData.id, undefined, window.sessionStorage);
    if (document.visibilityState === "visible") this.timer.resume();
    this.autosave = new Autosave({
      save: () => this.send(false).then(() => undefined),
      onState: (state) => this.showSaveState(state),
    });

    const viewer = new AnnotationViewer({
      caseData,
      schema,
      onChange: () => this.changed(),
      onError: (message) => this.showProblem(message),
    });
    this.viewer = viewer;
    this.panel = new WorkspacePanel(caseData, schema, bindings, {
      perform: (action) => this.perform(action),
    });
    this.body.replaceChildren(viewer.element, this.panel.element);

    const saved = splitStored(caseData.labels);
    const suggestion = caseData.pre_annotation;
    const fresh = isEmpty(saved);
    this.classes = fresh && suggestion.class && schema.classes.some((c) => c.key === suggestion.class)
      ? [suggestion.class]
      : [...saved.classes];
    this.showSaveState({ state: "saved" });
    if (fresh) this.saveState.textContent = suggestion.class || suggestion.box ? "The model's suggestion is shown; not saved yet" : "Nothing drawn yet";
    void viewer.ready.then(() => {
      if (this.left) return;
      if (fresh && suggestion.box) {
        const boxClass = schema.box_classes.find((c) => c.key === suggestion.class) ?? schema.box_classes[0];
        if (boxClass) viewer.restore([{ class: boxClass.key, ...suggestion.box }], []);
      } else {
        viewer.restore(saved.boxes, saved.masks);
      }
      this.root().dataset["ready"] = "true";
      this.refresh();
    });
    this.refresh();
  }

  private root(): HTMLElement {
    return this.section;
  }

  /** What the annotator has said about the case now. */
  private current(): CaseLabels {
    if (this.frozen) return this.frozen;
    return {
      classes: this.classes,
      boxes: this.viewer?.boxes() ?? [],
      masks: this.viewer?.masks() ?? [],
    };
  }

  private send(submit: boolean): Promise<AnnotationCase> {
    const caseData = this.caseData;
    if (!caseData) return Promise.reject(new Error("No case is open."));
    const labels = this.current();
    return saveLabels(caseData.id, {
      labels: labelInputs(labels),
      seconds_spent: this.timer?.seconds ?? 0,
      pre_annotation: preAnnotationOutcome(caseData.pre_annotation, labels),
      submit,
    }).catch((error: unknown) => {
      // Autosave shows the reason as "Not saved: <the server's detail>".
      throw new Error(error instanceof ApiError && error.message ? error.message : problemText(error, "save"));
    });
  }

  private changed(): void {
    this.autosave?.changed();
    this.refresh();
  }

  private refresh(): void {
    const viewer = this.viewer;
    const caseData = this.caseData;
    if (!viewer || !caseData || !this.panel) return;
    const labels = this.current();
    this.panel.show({
      classes: labels.classes,
      boxes: labels.boxes.length,
      masks: labels.masks,
      tool: viewer.currentTool,
      boxClass: viewer.currentBoxClass,
      maskClass: viewer.currentMaskClass,
      outcome: preAnnotationOutcome(caseData.pre_annotation, labels),
    });
  }

  private showSaveState(state: SaveState): void {
    this.saveState.textContent = saveStateText(state);
    this.saveState.dataset["state"] = state.state;
  }

  private perform(action: WorkspaceAction): void {
    const viewer = this.viewer;
    if (!viewer || this.busy) return;
    switch (action.kind) {
      case "submit":
        void this.submit();
        return;
      case "skip":
        this.askSkip();
        return;
      case "undo":
        viewer.undo();
        break;
      case "redo":
        viewer.redo();
        break;
      case "reset":
      case "invert":
        viewer.perform(action.kind);
        break;
      case "help":
        this.panel?.toggleKeys();
        break;
      case "class":
        this.chooseClass(action.key);
        return;
      case "tool":
        viewer.useTool(action.tool, action.regionClass);
        break;
    }
    this.refresh();
  }

  /** Choose (or clear) a class, recorded in the same undo history as the drawing tools. */
  private chooseClass(key: string): void {
    const schema = this.schema;
    if (!schema || !this.viewer) return;
    const before = this.classes;
    const after = toggleClass(before, key, schema.multi_label);
    this.classes = after;
    this.viewer.remember({
      restoreMemo: (undo?: boolean) => {
        this.classes = undo ? before : after;
      },
    });
    this.changed();
  }

  private async submit(): Promise<void> {
    const caseData = this.caseData;
    if (!caseData || this.busy) return;
    if (isEmpty(this.current())) {
      this.showProblem("Label the image before submitting it: choose a class, draw a box or paint a mask.");
      return;
    }
    this.busy = true;
    this.hideProblem();
    this.saveState.textContent = "Submitting…";
    try {
      // A save under way finishes first, so the submission is the last word.
      await this.autosave?.flush().catch(() => undefined);
      await this.send(true);
    } catch (error) {
      this.busy = false;
      this.showSaveState({ state: "failed", reason: (error as Error).message });
      this.showProblem(`Not submitted: ${(error as Error).message}`);
      return;
    }
    this.autosave?.stop();
    this.timer?.forget();
    this.saveState.textContent = "Submitted";
    await this.takeNext(() => nextCase(caseData.task), "take the next case");
  }

  private async takeNext(ask: () => Promise<AnnotationCase | null>, doing: string): Promise<void> {
    let next: AnnotationCase | null;
    try {
      next = await ask();
    } catch (error) {
      this.busy = false;
      this.showProblem(problemText(error, doing));
      return;
    }
    if (this.left) return;
    if (next) this.nav.toCase(next.id);
    else this.showNoCase("That was the last case for you: nothing is left to label.");
  }

  private askSkip(): void {
    const caseData = this.caseData;
    if (!caseData || this.skipDialog) return;
    const reason = h("input", { type: "text", name: "reason", required: true, maxlength: 500, autocomplete: "off" });
    const form = h(
      "form",
      { method: "dialog", class: "annotate-skip" },
      h("label", {}, "Why skip this case? ", reason),
      h(
        "div",
        { class: "annotate-skip-buttons" },
        h("button", { type: "submit", value: "skip" }, "Skip"),
        h("button", { type: "button", class: "button-quiet", "data-cancel": "" }, "Cancel"),
      ),
    );
    const dialog = h("dialog", { "aria-label": "Skip this case" }, form);
    form.querySelector("[data-cancel]")?.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) return;
      dialog.close();
      void this.skip(caseData, text);
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      this.skipDialog = null;
    });
    this.section.append(dialog);
    this.skipDialog = dialog;
    dialog.showModal();
    reason.focus();
  }

  private async skip(caseData: AnnotationCase, reason: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.autosave?.stop();
    await this.takeNext(async () => {
      const next = await skipCase(caseData.id, reason);
      this.timer?.forget();
      return next;
    }, "skip this case");
  }

  private readonly onKey = (event: KeyboardEvent): void => {
    if (isTyping(event) || document.querySelector("dialog[open]")) return;
    const key = keyOf(event);
    const binding = this.bindings.find((b) => b.key === key);
    if (!binding) return;
    event.preventDefault();
    this.perform(binding.action);
  };

  private readonly onVisibility = (): void => {
    if (document.visibilityState === "visible") this.timer?.resume();
    else this.timer?.pause();
  };

  private readonly onPageHide = (): void => {
    this.timer?.pause();
  };

  private showNoCase(message: string): void {
    this.title.textContent = "Annotation";
    this.progress.textContent = "";
    this.saveState.textContent = "";
    this.viewer?.destroy();
    this.viewer = null;
    this.caseData = null;
    const again = h("button", { type: "button" }, "Look for a case again");
    again.addEventListener("click", () => {
      if (window.location.pathname === annotatePath()) window.location.reload();
      else this.nav.toCase("");
    });
    this.body.replaceChildren(
      h("div", { class: "annotate-empty", "data-testid": "annotate-empty" }, h("p", {}, message), again),
    );
  }

  private showProblem(message: string): void {
    this.alert.textContent = message;
    this.alert.hidden = false;
  }

  private hideProblem(): void {
    this.alert.hidden = true;
    this.alert.textContent = "";
  }

  unmount(): void {
    this.left = true;
    document.removeEventListener("keydown", this.onKey);
    document.removeEventListener("visibilitychange", this.onVisibility);
    window.removeEventListener("pagehide", this.onPageHide);
    this.timer?.pause();
    // What was drawn since the last save goes now; the page is leaving either way.
    if (this.autosave?.hasUnsaved && this.viewer) {
      this.frozen = this.current();
      void this.autosave.flush().catch(() => undefined);
    }
    this.autosave?.stop();
    this.skipDialog?.close();
    this.viewer?.destroy();
  }
}
