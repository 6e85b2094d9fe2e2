/** What the reader can answer for a study, and what the page says once the read is stored. Pure. */

import { localDateTime } from "../api/format";
import type { Read, Verdict } from "../api/reading";
import { classDisplayName } from "../api/tasks";
import type { AiResult } from "../api/worklist";
import type { ShortcutId } from "../app/shortcuts";

export interface ReadChoice {
  verdict: Verdict;
  action: Extract<ShortcutId, `read.${string}`>;
  caption: string;
}

/**
 * "AI right" / "AI wrong" when the model gave an answer to judge (its verdict is then required),
 * a plain "Read" otherwise (a verdict is then refused).
 */
export function readChoices(ai: AiResult): ReadChoice[] {
  if (ai.status === "positive" || ai.status === "negative") {
    return [
      { verdict: "ai_right", action: "read.aiRight", caption: "AI right" },
      { verdict: "ai_wrong", action: "read.aiWrong", caption: "AI wrong" },
    ];
  }
  return [{ verdict: null, action: "read.done", caption: "Read" }];
}

/** "Saved: pneumonia (your read)", or "Saved." when the read stored no label. */
export function savedText(read: Read): string {
  return read.label ? `Saved: ${labelText(read.label)} (your read)` : "Saved.";
}

/** "Read by dr.jones on 2024-05-01 10:02: normal" (local time) for a study read before. */
export function earlierReadText(read: Read): string {
  const label = read.label ? `: ${labelText(read.label)}` : "";
  return `Read by ${read.reader} on ${localDateTime(read.read_at)}${label}`;
}

function labelText(label: NonNullable<Read["label"]>): string {
  return classDisplayName(label.value, label.task);
}

