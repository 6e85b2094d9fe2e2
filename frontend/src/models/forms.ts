/**
 * The training settings and schedule forms' data, apart from the DOM: drafts as typed, the
 * checks the page makes before sending (the server checks again and its words win), and bodies.
 */

import type { Schedule, ScheduleBody, ScheduleKind, TrainingMode, TrainingSettings } from "../api/models";

export type Errors = Record<string, string>;

export interface SettingsDraft {
  target_sensitivity: string;
  promotion_margin: string;
  auto_promote: boolean;
  shadow_hours: string;
  default_mode: TrainingMode;
}

export function settingsDraftFrom(settings: TrainingSettings): SettingsDraft {
  return {
    target_sensitivity: String(settings.target_sensitivity),
    promotion_margin: String(settings.promotion_margin),
    auto_promote: settings.auto_promote,
    shadow_hours: String(settings.shadow_hours),
    default_mode: settings.default_mode,
  };
}

/** A number as typed; NaN for blank or words. */
function numberOf(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

function wholeIn(text: string, low: number, high: number, words: string): string | null {
  const value = numberOf(text);
  if (!Number.isInteger(value) || value < low || value > high) return words;
  return null;
}

/** What is wrong with the settings as typed, by field; {} when they may be sent. */
export function settingsErrors(draft: SettingsDraft): Errors {
  const errors: Errors = {};
  const target = numberOf(draft.target_sensitivity);
  if (!(target > 0 && target < 1)) errors["target_sensitivity"] = "A share between 0 and 1, such as 0.95.";
  // The server knows the allowed ranges and says them; the page only catches what is no number.
  if (!Number.isFinite(numberOf(draft.promotion_margin))) {
    errors["promotion_margin"] = "An AUC difference, such as 0 or 0.01.";
  }
  const hours = numberOf(draft.shadow_hours);
  if (!(hours >= 0)) errors["shadow_hours"] = "Hours from 0 (no shadow), such as 24.";
  return errors;
}

export function settingsBody(draft: SettingsDraft): Omit<TrainingSettings, "task"> {
  return {
    target_sensitivity: numberOf(draft.target_sensitivity),
    promotion_margin: numberOf(draft.promotion_margin),
    auto_promote: draft.auto_promote,
    shadow_hours: numberOf(draft.shadow_hours),
    default_mode: draft.default_mode,
  };
}

export interface ScheduleDraft {
  kind: ScheduleKind;
  /** "HH:MM" from <input type="time">. */
  time: string;
  min_new_labels: string;
  check_minutes: string;
  mode: TrainingMode;
}

export const NEW_SCHEDULE: ScheduleDraft = {
  kind: "nightly",
  time: "02:00",
  min_new_labels: "100",
  check_minutes: "30",
  mode: "fine_tune",
};

const TIME = /^(\d{1,2}):(\d{2})$/;

export function scheduleErrors(draft: ScheduleDraft): Errors {
  const errors: Errors = {};
  if (draft.kind === "nightly") {
    const match = TIME.exec(draft.time.trim());
    if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) errors["time"] = "A time of day, such as 02:30.";
  } else {
    const labels = wholeIn(draft.min_new_labels, 1, 1_000_000, "At least 1 new label.");
    if (labels) errors["min_new_labels"] = labels;
    const minutes = wholeIn(draft.check_minutes, 1, 7 * 24 * 60, "Whole minutes from 1 to 10080 (a week).");
    if (minutes) errors["check_minutes"] = minutes;
  }
  return errors;
}

/** The POST body: a nightly schedule's hour and minute, or a label count's N and interval. */
export function scheduleBody(task: string, draft: ScheduleDraft, enabled = true): ScheduleBody {
  const base = { task, kind: draft.kind, enabled, mode: draft.mode };
  if (draft.kind === "nightly") {
    const match = TIME.exec(draft.time.trim());
    return { ...base, hour: Number(match?.[1] ?? Number.NaN), minute: Number(match?.[2] ?? Number.NaN) };
  }
  return { ...base, min_new_labels: numberOf(draft.min_new_labels), check_minutes: numberOf(draft.check_minutes) };
}

/** The stored schedule as a PUT body, with `enabled` changed. */
export function scheduleToggled(schedule: Schedule): ScheduleBody {
  const { task, kind, hour, minute, min_new_labels, check_minutes, mode } = schedule;
  return { task, kind, enabled: !schedule.enabled, hour, minute, min_new_labels, check_minutes, mode };
}

/** "Nightly at 02:30 (fine-tune)", "When 100 new labels (checked every 30 min, from scratch)". */
export function scheduleText(schedule: ScheduleBody): string {
  const mode = schedule.mode === "scratch" ? "from scratch" : "fine-tune";
  if (schedule.kind === "nightly") {
    const two = (n: number | undefined) => String(n ?? 0).padStart(2, "0");
    return `Nightly at ${two(schedule.hour)}:${two(schedule.minute)} (${mode})`;
  }
  return `When ${schedule.min_new_labels ?? "?"} new labels (checked every ${schedule.check_minutes ?? "?"} min, ${mode})`;
}
