/**
 * /models: where an admin retrains a task's model and decides what runs. The active version and
 * Roll back; Retrain now and the runs, polled every 2 s while one is queued or running (and never
 * after the page is left); a candidate's comparison with the active version, Promote and Reject;
 * shadow figures; every version; the promotion settings and the retrain schedules.
 */

import "./models.css";

import { ApiError } from "../api/http";
import {
  type Comparison,
  type ModelVersion,
  type TestSetMetrics,
  type TrainingRun,
  cancelRun,
  computeComparison,
  getComparison,
  getShadow,
  getTrainingSettings,
  listRuns,
  listVersions,
  promoteVersion,
  rejectVersion,
  requestRun,
  rollBack,
  stopShadow,
} from "../api/models";
import { getTasks } from "../api/tasks";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { type ComparisonActions, comparisonView, shadowView } from "./comparisonSection";
import { POLL_MS, candidateToShow, endedRuns, shouldPoll } from "./polling";
import { runsSection } from "./runsSection";
import { schedulesSection, settingsForm } from "./settingsSection";
import { type VersionsActions, activeCard, versionsTable } from "./versionsSection";

const MODELS = { name: "The model registry", forbidden: "Your role may not manage models." };

function notFound(error: unknown): boolean {
  return error instanceof ApiError && error.kind === "not-found";
}

export function mountModelsPage(root: HTMLElement): () => void {
  const controller = new AbortController();
  const signal = controller.signal;
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const taskSelect = h("select", { name: "task" });
  const taskPicker = h("label", { class: "field", hidden: true }, h("span", { class: "field-label" }, "Task"), taskSelect);
  const activePart = h("div");
  const comparisonPart = h("section", { class: "models-panel", "data-testid": "comparison-section" });
  const versionsPart = h("div");
  const settingsPart = h("div");
  const schedulesPart = h("div");

  let task = "";
  let runs: TrainingRun[] = [];
  /** The task's runs have been listed once (the first list picks the comparison to show). */
  let runsListed = false;
  let versions: ModelVersion[] = [];
  let compared: number | null = null;
  /** The comparison on show: its baseline's test-set figures serve the active card too. */
  let shown: Comparison | null = null;
  /** The admin picked a version to compare: a finished run does not replace it. */
  let picked = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function fail(error: unknown, what: string): void {
    if (!signal.aborted) showAlert(alert, describeError(error, what, MODELS));
  }

  async function refreshVersions(): Promise<void> {
    const asked = task;
    const listed = await listVersions(asked, { signal });
    if (asked !== task) return; // the admin picked another task meanwhile
    versions = listed;
    const active = versions.find((version) => version.is_active) ?? null;
    let figures: TestSetMetrics | null = null;
    let size = 0;
    if (active) {
      const own = await getComparison(active.id, { signal }).catch(() => null);
      if (own) [figures, size] = [own.candidate_metrics, own.test_set.size];
      else if (shown?.baseline?.id === active.id && shown.baseline_metrics) {
        [figures, size] = [shown.baseline_metrics, shown.test_set.size];
      }
    }
    const where = figures ? `on the fixed test set of ${size} images` : "as registered";
    activePart.replaceChildren(activeCard(active, figures, where, versionsActions));
    versionsPart.replaceChildren(versionsTable(versions, versionsActions));
  }

  async function showComparison(versionId: number | null): Promise<void> {
    compared = versionId;
    shown = null;
    const heading = h("h2", {}, "Candidate against the active version");
    if (versionId === null) {
      comparisonPart.replaceChildren(heading, h("p", { class: "muted" }, "No candidate yet: retrain to get one."));
      return;
    }
    let comparison: Comparison;
    try {
      comparison = await getComparison(versionId, { signal });
    } catch (error) {
      if (!notFound(error)) throw error;
      const version = versions.find((v) => v.id === versionId);
      const compare = h("button", { type: "button" }, "Compare with the active version now");
      compare.addEventListener("click", () => {
        compare.disabled = true;
        compare.textContent = "Comparing…";
        computeComparison(versionId)
          .then(() => showComparison(versionId))
          .catch((failure: unknown) => fail(failure, "the comparison"));
      });
      comparisonPart.replaceChildren(
        heading,
        h("p", { class: "muted" }, `Version ${version?.version ?? versionId} has not been compared yet. `, compare),
      );
      return;
    }
    shown = comparison;
    const parts: HTMLElement[] = [heading, comparisonView(comparison, comparisonActions)];
    // A shadow that ended leaves the candidate waiting with its figures, which the admin weighs.
    if (comparison.decision === "shadowing" || comparison.decision === "waiting") {
      const shadow = await getShadow(versionId, { signal }).catch(() => null);
      if (shadow?.deployment) parts.push(shadowView(versionId, shadow, comparisonActions));
    }
    comparisonPart.replaceChildren(...parts);
  }

  function schedulePoll(): void {
    clearTimeout(timer);
    if (signal.aborted || !shouldPoll(runs)) return;
    timer = setTimeout(() => {
      refreshRuns().catch((error: unknown) => fail(error, "the training runs"));
    }, POLL_MS);
  }

  async function refreshRuns(): Promise<void> {
    const asked = task;
    const listed = await listRuns(asked, { signal });
    if (asked !== task) return; // the admin picked another task meanwhile
    const before = runs;
    const first = !runsListed;
    runs = listed;
    runsListed = true;
    runsView.render(runs);
    schedulePoll();
    // A run that ended may have registered, promoted or shadowed a version.
    if (endedRuns(before, runs).length > 0 || first) {
      if (!picked) await showComparison(candidateToShow(runs));
      // After the comparison: the active card takes its figures when it is the baseline.
      await refreshVersions();
    }
  }

  const runsView = runsSection({
    async retrain(mode) {
      const run = await requestRun(task, mode);
      await refreshRuns();
      return run.message || `Run ${run.id} is ${run.status}.`;
    },
    async cancel(run) {
      await cancelRun(run.id);
      await refreshRuns();
    },
    showComparison(versionId) {
      picked = true;
      showComparison(versionId).catch((error: unknown) => fail(error, "the comparison"));
    },
  });

  const versionsActions: VersionsActions = {
    async rollBack() {
      await rollBack(task, "rolled back on the models page");
      await refreshVersions();
      await showComparison(compared);
    },
    showComparison(versionId) {
      picked = true;
      showComparison(versionId).catch((error: unknown) => fail(error, "the comparison"));
    },
  };

  const comparisonActions: ComparisonActions = {
    async promote(versionId) {
      await promoteVersion(versionId, "promoted on the models page");
      await refreshVersions();
      await showComparison(versionId);
    },
    async reject(versionId, version) {
      if (!window.confirm(`Reject version ${version}? It will not be promoted.`)) return;
      await rejectVersion(versionId, "rejected on the models page");
      await showComparison(versionId);
    },
    async stopShadow(versionId) {
      await stopShadow(versionId);
      await showComparison(versionId);
    },
  };

  function loadTask(name: string): void {
    task = name;
    runs = [];
    runsListed = false;
    picked = false;
    clearTimeout(timer);
    alert.hidden = true;
    refreshVersions()
      .then(() => refreshRuns())
      .catch((error: unknown) => fail(error, "the model versions and runs"));
    getTrainingSettings(name, { signal })
      .then((settings) => {
        runsView.setDefaultMode(settings.default_mode);
        settingsPart.replaceChildren(
          settingsForm(name, settings, (stored) => runsView.setDefaultMode(stored.default_mode)),
        );
      })
      .catch((error: unknown) => fail(error, "the promotion settings"));
    schedulesPart.replaceChildren(schedulesSection(name, signal));
  }

  root.replaceChildren(
    h(
      "section",
      { class: "models-page", "data-testid": "models" },
      h("h1", {}, "Models"),
      taskPicker,
      alert,
      h(
        "div",
        { class: "models-columns" },
        h("div", {}, activePart, runsView.element, comparisonPart),
        h("div", {}, versionsPart, settingsPart, schedulesPart),
      ),
    ),
  );

  getTasks(signal)
    .then((tasks) => {
      taskSelect.replaceChildren(...tasks.map((t) => h("option", { value: t.name }, t.display_name)));
      taskPicker.hidden = tasks.length < 2;
      taskSelect.addEventListener("change", () => loadTask(taskSelect.value));
      const first = tasks[0];
      if (first) loadTask(first.name);
      else showAlert(alert, { text: "No task is registered.", signIn: false });
    })
    .catch((error: unknown) => fail(error, "the tasks"));

  return () => {
    controller.abort();
    clearTimeout(timer);
    root.replaceChildren();
  };
}
