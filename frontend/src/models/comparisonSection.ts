/**
 * A candidate version against the version active when it was reviewed, on the fixed test set:
 * both ROC curves, a table of AUC (95% CI), sensitivity, specificity, threshold and ECE, the
 * paired AUC difference (DeLong), the gate's verdict, a reliability curve, Promote and Reject;
 * and, while the candidate runs in shadow, the agreement figures and Stop.
 */

import type { Comparison, Shadow, TestSetMetrics } from "../api/models";
import { h } from "../pages/dom";
import { reliabilityChart, rocChart } from "./charts";
import { awaitsDecision, fixed, interval, pValueText, percent, signed, verdictText, whenText } from "./format";

export interface ComparisonActions {
  promote(versionId: number, version: number): Promise<void>;
  reject(versionId: number, version: number): Promise<void>;
  stopShadow(versionId: number): Promise<void>;
}

type Row = [string, (metrics: TestSetMetrics) => string];

const ROWS: Row[] = [
  ["AUC", (m) => fixed(m.auc)],
  ["AUC 95% CI", (m) => interval(m.auc_ci)],
  ["Sensitivity", (m) => percent(m.sensitivity)],
  ["Specificity", (m) => percent(m.specificity)],
  ["Threshold", (m) => fixed(m.threshold)],
  ["ECE", (m) => fixed(m.ece)],
];

function metricsTable(comparison: Comparison, candidate: string, baseline: string | null): HTMLTableElement {
  const base = comparison.baseline_metrics;
  return h(
    "table",
    { class: "studies metrics-table", "data-testid": "comparison-table" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, candidate), baseline ? h("th", {}, baseline) : null)),
    h(
      "tbody",
      {},
      ...ROWS.map(([name, value]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, name),
          h("td", { class: "cell-number" }, value(comparison.candidate_metrics)),
          baseline && base ? h("td", { class: "cell-number" }, value(base)) : null,
        ),
      ),
    ),
  );
}

function differenceText(comparison: Comparison): string {
  const d = comparison.difference;
  if (!d) return "No active version to compare with: the gate passes a first version.";
  return (
    `AUC difference ${signed(d.auc)} (95% CI ${interval(d.ci)}, ${d.method}, ${pValueText(d.p_value)}` +
    `${typeof d.lower_bound_one_sided === "number" ? `; one-sided lower bound ${signed(d.lower_bound_one_sided)}` : ""}).`
  );
}

function decisionButtons(comparison: Comparison, actions: ComparisonActions): HTMLElement | null {
  const { id, version, is_active } = comparison.candidate;
  if (is_active) return h("p", { class: "muted" }, `Version ${version} is the active version.`);
  if (comparison.decision === "rejected") return h("p", { class: "muted" }, `Version ${version} was rejected.`);
  const promote = h("button", { type: "button" }, "Promote");
  const reject = h("button", { type: "button", class: "button-quiet" }, "Reject");
  const status = h("span", { class: "status", role: "status", "data-testid": "decision-status" });
  const act = (button: HTMLButtonElement, action: () => Promise<void>) => {
    button.addEventListener("click", () => {
      promote.disabled = true;
      reject.disabled = true;
      action()
        .catch((error: unknown) => {
          status.textContent = error instanceof Error ? error.message : "Refused.";
        })
        .finally(() => {
          promote.disabled = false;
          reject.disabled = false;
        });
    });
  };
  act(promote, () => actions.promote(id, version));
  act(reject, () => actions.reject(id, version));
  return h("p", { class: "decision-buttons" }, promote, " ", awaitsDecision(comparison) ? reject : null, " ", status);
}

export function comparisonView(comparison: Comparison, actions: ComparisonActions): HTMLElement {
  const candidate = `Version ${comparison.candidate.version}`;
  const baseline = comparison.baseline ? `Version ${comparison.baseline.version} (active then)` : null;
  const curves = {
    candidate: { label: `v${comparison.candidate.version} (candidate)`, metrics: comparison.candidate_metrics },
    baseline:
      comparison.baseline && comparison.baseline_metrics
        ? { label: `v${comparison.baseline.version} (active)`, metrics: comparison.baseline_metrics }
        : null,
  };
  const verdict = h(
    "p",
    { class: comparison.gate.passed ? "verdict is-passed" : "verdict", "data-testid": "gate-verdict" },
    verdictText(comparison),
  );
  const set = comparison.test_set;
  return h(
    "div",
    {
      class: "comparison",
      "data-testid": "comparison",
      "data-candidate": comparison.candidate.version,
      "data-decision": comparison.decision,
    },
    h("h3", {}, `${candidate} against ${baseline ?? "no active version"}`),
    h(
      "p",
      { class: "muted" },
      `Fixed test set: ${set.size} images, ${set.positives} positive (${set.sha256.slice(0, 12)}). Compared ${whenText(comparison.created_at)}.`,
    ),
    verdict,
    decisionButtons(comparison, actions),
    h(
      "div",
      { class: "comparison-figures" },
      rocChart(curves.candidate, curves.baseline),
      h(
        "div",
        {},
        metricsTable(comparison, candidate, baseline),
        h("p", { "data-testid": "auc-difference" }, differenceText(comparison)),
        reliabilityChart(curves.candidate, curves.baseline),
      ),
    ),
  );
}

/** The shadow deployment's figures and its Stop button. */
export function shadowView(versionId: number, shadow: Shadow, actions: ComparisonActions): HTMLElement {
  const deployment = shadow.deployment;
  const a = shadow.agreement ?? {};
  const section = h("div", { class: "shadow", "data-testid": "shadow" }, h("h3", {}, "Shadow mode"));
  if (!deployment) {
    section.append(h("p", { class: "muted" }, "This version has not run in shadow."));
    return section;
  }
  const state = deployment.stopped_at
    ? `Stopped ${whenText(deployment.stopped_at)}.`
    : `Scoring beside the active version since ${whenText(deployment.started_at)}${deployment.ends_at ? `, until ${whenText(deployment.ends_at)}` : ""}.`;
  section.append(
    h("p", {}, state),
    h(
      "dl",
      { class: "shadow-figures" },
      ...[
        ["Studies scored by both", String(a.n ?? 0)],
        ["Flag changes", `${a.flag_changes ?? 0} (${percent(a.flag_change_rate)})`],
        ["Newly flagged", String(a.newly_flagged ?? 0)],
        ["Unflagged", String(a.unflagged ?? 0)],
        ["Kendall tau", fixed(a.kendall_tau)],
        ["Top-10 overlap", a.top10_overlap === undefined || a.top10_overlap === null ? "–" : String(a.top10_overlap)],
      ].flatMap(([term, value]) => [h("dt", {}, term ?? ""), h("dd", {}, value ?? "")]),
    ),
  );
  if (!deployment.stopped_at) {
    const stop = h("button", { type: "button", class: "button-quiet" }, "Stop shadow");
    stop.addEventListener("click", () => {
      stop.disabled = true;
      actions.stopShadow(versionId).catch(() => {
        stop.disabled = false;
      });
    });
    section.append(h("p", {}, stop));
  }
  return section;
}
