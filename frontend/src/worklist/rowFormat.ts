/**
 * What a worklist row says in words: waiting time that ticks, due/overdue, the AI flag, the
 * claim. Pure functions of a row and a clock, so they tick without asking the server again.
 */

import { classDisplayName } from "../api/tasks";
import type { AiResult, WorklistRow } from "../api/worklist";

/**
 * "45 s", "12 min", "1 h 05 min", "2 d 3 h": dense, and exact enough to compare rows at a glance.
 * Whole units, rounded down (14 min 59 s has waited 14 min). The one duration format of the
 * worklist page: the row's cells and the details panel both get it through rowTimes; the server's
 * reasons follow the same rule (triage/priority.py format_duration).
 */
export function formatDuration(seconds: number): string {
  const whole = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * The server's clock minus this browser's, from a page fetched at `fetchedAtMs`: a waiting row
 * says how long it has waited at the server's now. Due times are then compared with the server's
 * clock, not a workstation clock that may be minutes off.
 */
export function serverClockOffsetMs(rows: readonly WorklistRow[], fetchedAtMs: number): number {
  const waiting = rows.find((row) => row.status === "waiting");
  if (!waiting) return 0;
  const serverNow = Date.parse(waiting.received_at) + waiting.waiting_seconds * 1000;
  return Number.isFinite(serverNow) ? serverNow - fetchedAtMs : 0;
}

/** Seconds the study has waited at `nowMs`; a read study's wait stopped at its read. */
export function waitingSecondsAt(row: WorklistRow, fetchedAtMs: number, nowMs: number): number {
  if (row.status !== "waiting") return row.waiting_seconds;
  return row.waiting_seconds + Math.max(0, nowMs - fetchedAtMs) / 1000;
}

export interface DueText {
  text: string;
  overdue: boolean;
}

/** Seconds from `serverNowMs` to the row's due time (negative once overdue); NaN without one. */
function secondsLeft(row: WorklistRow, serverNowMs: number): number {
  return (Date.parse(row.due_at) - serverNowMs) / 1000;
}

/** "due in 12 min" / "overdue 5 min" at the server's `serverNowMs`; read studies say so. */
export function dueText(row: WorklistRow, serverNowMs: number): DueText {
  if (row.status === "read") return { text: "read", overdue: false };
  const left = secondsLeft(row, serverNowMs);
  if (!Number.isFinite(left)) return { text: "", overdue: row.overdue };
  return left >= 0
    ? { text: `due in ${formatDuration(left)}`, overdue: false }
    : { text: `overdue ${formatDuration(-left)}`, overdue: true };
}

/** When a list was fetched (this browser's clock) and the server's clock minus this browser's. */
export interface ListClock {
  fetchedAtMs: number;
  clockOffsetMs: number;
}

/** What the row's Waiting and Due cells say at this browser's `nowMs`. */
export interface RowTimes {
  waiting: string;
  due: DueText;
}

/**
 * The one place a row's times become words: the table's cells and the details panel's lines
 * both come from here, on the same clock, so they never differ by a minute.
 */
export function rowTimes(row: WorklistRow, clock: ListClock, nowMs: number): RowTimes {
  return {
    waiting: formatDuration(waitingSecondsAt(row, clock.fetchedAtMs, nowMs)),
    due: dueText(row, nowMs + clock.clockOffsetMs),
  };
}

/**
 * The details panel's time-dependent reasons for a waiting study, as the server words them
 * (triage/priority.py waiting_reasons) but ticking: "Waiting 14 min", then "Due in 36 min" or
 * "Overdue by 5 min: …". Read studies have none.
 */
export function timeReasons(row: WorklistRow, clock: ListClock, nowMs: number): string[] {
  if (row.status !== "waiting") return [];
  const left = secondsLeft(row, nowMs + clock.clockOffsetMs);
  const { waiting } = rowTimes(row, clock, nowMs);
  if (!Number.isFinite(left)) return [`Waiting ${waiting}`];
  return [
    `Waiting ${waiting}`,
    left >= 0
      ? `Due in ${formatDuration(left)}`
      : `Overdue by ${formatDuration(-left)}: the max-wait guard puts it ahead of studies not yet due`,
  ];
}

/**
 * The server's reasons for the study's place, without the two time-dependent lines it appends
 * for a waiting study at its own now (see WorklistRow.reasons): the panel writes those itself.
 */
export function placementReasons(row: WorklistRow): string[] {
  return row.status === "waiting" ? row.reasons.slice(0, -TIME_REASONS) : [...row.reasons];
}

/** How many time-dependent lines the server appends to a waiting study's reasons. */
export const TIME_REASONS = 2;

export type AiTone = "flagged" | "clear" | "pending" | "muted" | "failed";

export interface AiFlag {
  text: string;
  tone: AiTone;
  /** The longer explanation for the tooltip and the details panel. */
  title: string;
}

/**
 * The calibrated probability as every page writes it: "0.42"; ">0.99" and "<0.01" at the ends,
 * where two decimals would round to a certainty (1.00, 0.00) the model does not claim. Monotone,
 * so a probability at or above its threshold never reads as below it. The server's reasons write
 * it the same way (triage/priority.py, format_probability).
 */
export function formatProbability(probability: number | null): string {
  if (probability === null) return "";
  if (probability >= 0.995) return ">0.99";
  if (probability < 0.005) return "<0.01";
  return probability.toFixed(2);
}

/** "flagged 0.93", "negative 0.12", "pending", "n/a", "failed", "off". */
export function aiFlag(ai: AiResult): AiFlag {
  const probability = formatProbability(ai.probability);
  const model = ai.model ? ` by ${ai.model}` : "";
  const threshold = ai.threshold === null ? "" : ` (threshold ${formatProbability(ai.threshold)})`;
  switch (ai.status) {
    case "positive":
      return {
        text: `flagged ${probability}`.trim(),
        tone: "flagged",
        title: `Flagged ${ai.label ? classDisplayName(ai.label) : ""}${model}: probability ${probability}${threshold}`,
      };
    case "negative":
      return {
        text: `negative ${probability}`.trim(),
        tone: "clear",
        title: `Not flagged${model}: probability ${probability}${threshold}`,
      };
    case "pending":
      return { text: "pending", tone: "pending", title: ai.note || "The AI score is being computed." };
    case "not_applicable":
      return { text: "n/a", tone: "muted", title: ai.note || "The model does not apply to this study." };
    case "failed":
      return { text: "failed", tone: "failed", title: ai.note || "Scoring failed." };
    case "off":
      return { text: "off", tone: "muted", title: ai.note || "No active model." };
  }
}

/** "you", "dr.smith reading", "" (nobody) — who holds the study right now. */
export function claimText(row: WorklistRow): string {
  if (row.status === "read") return "read";
  if (!row.claim) return "";
  return row.claim.mine ? "you" : `${row.claim.by} reading`;
}
