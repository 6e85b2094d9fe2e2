/**
 * The queue settings form's data, apart from the DOM: the admin reads and types the lock time in
 * minutes, the API stores seconds.
 */

import type { QueueSettings, QueueSettingsBody } from "./settingsApi";

export interface QueueDraft {
  strategy: string;
  labels_required: string;
  batch_size: string;
  lock_minutes: string;
}

/** Minutes as typed: whole minutes without decimals, else up to two places. */
export function minutesText(seconds: number): string {
  return String(Math.round((seconds / 60) * 100) / 100);
}

export function queueDraftFrom(settings: QueueSettings): QueueDraft {
  return {
    strategy: settings.strategy,
    labels_required: String(settings.labels_required),
    batch_size: String(settings.batch_size),
    lock_minutes: minutesText(settings.lock_seconds),
  };
}

/** A number field as typed; NaN for blank or words, which the server refuses in words. */
function numberOf(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

/**
 * The PUT body. A blank or non-numeric field is sent as it was typed (a string) so that the
 * server's field error, not a silent default, says what is wrong.
 */
export function queueBody(draft: QueueDraft): QueueSettingsBody {
  const whole = (text: string): number | string => {
    const value = numberOf(text);
    return Number.isFinite(value) ? value : text;
  };
  const minutes = numberOf(draft.lock_minutes);
  return {
    strategy: draft.strategy,
    labels_required: whole(draft.labels_required),
    batch_size: whole(draft.batch_size),
    lock_seconds: Number.isFinite(minutes) ? Math.round(minutes * 60) : draft.lock_minutes,
  };
}
