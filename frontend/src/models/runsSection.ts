/**
 * "Retrain now" and the task's training runs, newest first: status, trigger, who and when; for a
 * running one a progress bar, its epoch line and a loss/AUC curve; Cancel while it is live; a
 * failed run's error; each run's log on demand. Rows stay in place between polls (an open log
 * stays open).
 */

import { type TrainingMode, type TrainingRun, getRun } from "../api/models";
import { h } from "../pages/dom";
import { historyChart } from "./charts";
import { modeText, progressFraction, progressText, triggerText, whenText } from "./format";
import { isLive, shouldPoll } from "./polling";

export interface RunsActions {
  retrain(mode: TrainingMode): Promise<string>;
  cancel(run: TrainingRun): Promise<void>;
  showComparison(versionId: number): void;
}

export interface RunsView {
  element: HTMLElement;
  render(runs: readonly TrainingRun[]): void;
  setDefaultMode(mode: TrainingMode): void;
}

const STATUS: Record<string, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

function retrainForm(actions: RunsActions): { form: HTMLFormElement; mode: HTMLSelectElement; status: HTMLElement } {
  const mode = h(
    "select",
    { name: "mode" },
    h("option", { value: "fine_tune" }, "Fine-tune the active version"),
    h("option", { value: "scratch" }, "Train from scratch"),
  );
  const button = h("button", { type: "submit" }, "Retrain now");
  const status = h("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": "retrain-status" });
  const form = h(
    "form",
    { class: "retrain-form", "data-testid": "retrain-form" },
    h("label", { class: "field" }, h("span", { class: "field-label" }, "Mode"), mode),
    button,
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Asking for a run…";
    actions
      .retrain(mode.value as TrainingMode)
      .then((message) => {
        status.textContent = message;
      })
      .catch((error: unknown) => {
        status.textContent = error instanceof Error ? error.message : "The run was not started.";
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return { form, mode, status };
}

function logDetails(run: TrainingRun): { element: HTMLDetailsElement; refresh(): void } {
  const pre = h("pre", { class: "run-log", "data-testid": "run-log" }, "Loading the log…");
  const element = h("details", { class: "run-log-details" }, h("summary", {}, "Log"), pre);
  function refresh(): void {
    if (!element.open) return;
    getRun(run.id)
      .then((full) => {
        pre.textContent = full.log || "(The log is empty.)";
      })
      .catch((error: unknown) => {
        pre.textContent = error instanceof Error ? error.message : "The log could not be loaded.";
      });
  }
  element.addEventListener("toggle", refresh);
  return { element, refresh };
}

function runBody(run: TrainingRun, actions: RunsActions): HTMLElement {
  const who = run.requested_by ? ` · ${run.requested_by}` : "";
  const when = whenText(run.started_at ?? run.requested_at);
  const body = h(
    "div",
    { class: "run-body" },
    h(
      "p",
      { class: "run-head" },
      h("strong", {}, `Run ${run.id}`),
      " · ",
      h("span", { class: `run-status is-${run.status}`, "data-testid": "run-status" }, STATUS[run.status] ?? run.status),
      ` · ${modeText(run.mode)} · ${triggerText(run.trigger)}${who} · ${when}`,
    ),
  );
  // While epochs pass the progress line says more than the message "Epoch 3 of 16".
  const saysMore = run.status === "running" && run.message.startsWith("Epoch ");
  if (run.message && !saysMore) body.append(h("p", { class: "run-message", "data-testid": "run-message" }, run.message));
  if (run.status === "running") {
    const bar = h("progress", { max: 1, value: progressFraction(run), "aria-label": `Progress of run ${run.id}` });
    body.append(
      h("div", { class: "run-progress" }, bar, h("span", { "data-testid": "run-progress" }, progressText(run))),
      historyChart(run.history ?? [], run.epochs),
    );
  }
  if (run.status === "failed" && run.error) {
    body.append(h("p", { class: "field-error", "data-testid": "run-error" }, run.error));
  }
  if (isLive(run)) {
    const cancel = h("button", { type: "button", class: "button-quiet" }, run.cancel_requested ? "Cancelling…" : "Cancel");
    cancel.disabled = Boolean(run.cancel_requested);
    cancel.addEventListener("click", () => {
      cancel.disabled = true;
      actions.cancel(run).catch(() => {
        cancel.disabled = false;
      });
    });
    body.append(h("p", {}, cancel));
  }
  if (run.candidate) {
    const show = h("button", { type: "button", class: "button-quiet" }, `Compare version ${run.candidate.version}`);
    const id = run.candidate.id;
    show.addEventListener("click", () => actions.showComparison(id));
    body.append(h("p", {}, `Registered version ${run.candidate.version}. `, show));
  }
  return body;
}

export function runsSection(actions: RunsActions): RunsView {
  const { form, mode, status } = retrainForm(actions);
  const list = h("ol", { class: "runs", "data-testid": "runs" });
  const empty = h("p", { class: "muted" }, "No training run yet.");
  const element = h("section", { class: "models-panel", "data-testid": "runs-section" }, h("h2", {}, "Training runs"), form, empty, list);
  const rows = new Map<number, { item: HTMLElement; body: HTMLElement; log: ReturnType<typeof logDetails> }>();

  return {
    element,
    setDefaultMode(value) {
      mode.value = value;
    },
    render(runs) {
      empty.hidden = runs.length > 0;
      // "Waiting for run 7 to finish" is true until the runs have ended; the list says the rest.
      if (!shouldPoll(runs)) status.textContent = "";
      const items = runs.map((run) => {
        let row = rows.get(run.id);
        const body = runBody(run, actions);
        if (!row) {
          const log = logDetails(run);
          row = { item: h("li", { class: "run" }, body, log.element), body, log };
          rows.set(run.id, row);
        } else {
          row.body.replaceWith(body);
          row.body = body;
          if (isLive(run)) row.log.refresh();
        }
        row.item.dataset["testid"] = `run-${run.id}`;
        row.item.dataset["status"] = run.status;
        return row.item;
      });
      list.replaceChildren(...items);
    },
  };
}
