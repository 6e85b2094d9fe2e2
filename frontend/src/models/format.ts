/** How the models page writes figures, durations, runs and verdicts. Pure functions. */

import { localDateTime } from "../api/format";
import type { Comparison, ModelVersion, TrainingRun } from "../api/models";

const DASH = "–";

/** A number with `digits` decimals, or a dash when there is none. */
export function fixed(value: number | null | undefined, digits = 3): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : DASH;
}

/** A share as a percentage with one decimal ("95.0%"). */
export function percent(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : DASH;
}

/** A confidence interval "0.961–0.989", or a dash. */
export function interval(ci: readonly number[] | null | undefined, digits = 3): string {
  if (!ci || ci.length < 2) return DASH;
  return `${fixed(ci[0], digits)}–${fixed(ci[1], digits)}`;
}

/** "p = 0.031", "p < 0.001". */
export function pValueText(p: number | null | undefined): string {
  if (typeof p !== "number" || !Number.isFinite(p)) return `p ${DASH}`;
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/** A signed difference "+0.004" / "−0.012". */
export function signed(value: number | null | undefined, digits = 3): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return DASH;
  const text = Math.abs(value).toFixed(digits);
  return value < 0 ? `−${text}` : `+${text}`;
}

/** A duration in words a person reads at a glance: "40 s", "3 min", "1 h 5 min". */
export function durationText(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 90) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** An ISO time as "YYYY-MM-DD HH:MM" in the browser's zone; "" when absent. */
export function whenText(iso: string | null | undefined): string {
  return iso ? localDateTime(iso) : "";
}

/** Share of the run's epochs done, in [0, 1]. */
export function progressFraction(run: Pick<TrainingRun, "epoch" | "epochs">): number {
  if (!run.epochs || !run.epoch) return 0;
  return Math.min(1, Math.max(0, run.epoch / run.epochs));
}

/** "Epoch 3 of 16 · loss 0.21 · val AUC 0.981 · about 40 s left": what is known of a running run. */
export function progressText(run: Pick<TrainingRun, "epoch" | "epochs" | "progress" | "phase">): string {
  if (!run.epoch || !run.epochs) {
    return run.phase && run.phase !== "training" ? `Starting (${run.phase})` : "Starting";
  }
  const parts = [`Epoch ${run.epoch} of ${run.epochs}`];
  const progress = run.progress ?? {};
  if (typeof progress.loss === "number") parts.push(`loss ${progress.loss.toFixed(2)}`);
  if (typeof progress.val_auc === "number") parts.push(`val AUC ${progress.val_auc.toFixed(3)}`);
  if (typeof progress.seconds_left === "number" && run.epoch < run.epochs) {
    parts.push(`about ${durationText(progress.seconds_left)} left`);
  }
  if (run.phase && run.phase !== "training" && run.epoch >= run.epochs) parts.push(run.phase);
  return parts.join(" · ");
}

const MODES: Record<string, string> = { fine_tune: "fine-tune", scratch: "from scratch" };
const TRIGGERS: Record<string, string> = {
  manual: "by hand",
  command: "command",
  schedule: "nightly schedule",
  labels: "new labels",
};

export function modeText(mode: string): string {
  return MODES[mode] ?? mode;
}

export function triggerText(trigger: string): string {
  return TRIGGERS[trigger] ?? trigger;
}

/** The AUC a version was registered with: its test split's, else its validation split's. */
export function registeredAuc(version: Pick<ModelVersion, "metrics">): number | null {
  const auc = version.metrics["test"]?.auc ?? version.metrics["validation"]?.auc;
  return typeof auc === "number" ? auc : null;
}

const DECISIONS: Record<string, string> = {
  auto_promoted: "Promoted automatically",
  waiting: "Waiting for you",
  shadowing: "In shadow mode",
  promoted: "Promoted",
  rejected: "Rejected",
};

/** The gate's verdict in a sentence: "Passed the gate", or "Waiting for you: <reasons>". */
export function verdictText(comparison: Pick<Comparison, "gate" | "decision">): string {
  const decided = DECISIONS[comparison.decision] ?? comparison.decision;
  const passed = comparison.gate.passed ? "Passed the gate" : "Did not pass the gate";
  const reasons = comparison.gate.reasons.join(" ");
  if (comparison.decision === "waiting") return `Waiting for you: ${reasons || passed.toLowerCase()}`;
  return reasons ? `${decided}. ${passed}: ${reasons}` : `${decided}. ${passed}.`;
}

/** A decision an admin still makes: the candidate waits or shadows, and is not active. */
export function awaitsDecision(comparison: Pick<Comparison, "decision" | "candidate">): boolean {
  return ["waiting", "shadowing"].includes(comparison.decision) && !comparison.candidate.is_active;
}
