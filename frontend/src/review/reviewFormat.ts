/** Pure formatting and decision logic of the review pages (tested in reviewFormat.spec.ts). */

import type { LabelInput, StoredLabel } from "../api/annotate";
import type { CaseAgreement, Decision, DecisionBody } from "./reviewApi";

/** A figure to two decimals, or an em dash when it is undefined (no data, or 0/0). */
export function formatFigure(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(2);
}

/** "normal 1 · pneumonia 1": each class answer with its votes, most voted first. */
export function formatVotes(votes: Record<string, number>, name: (key: string) => string = (k) => k): string {
  return Object.entries(votes)
    .sort((a, b) => b[1] - a[1])
    .map(([answer, n]) => `${answer.split("+").map(name).join(" + ")} ${n}`)
    .join(" · ");
}

/** How a queue row reads its dispute: "no majority", "2 of 3 agree", or "all agree". */
export function disputeText(agreement: CaseAgreement): string {
  const top = Math.max(0, ...Object.values(agreement.votes));
  const total = Object.values(agreement.votes).reduce((sum, n) => sum + n, 0);
  if (!agreement.majority) return "no majority";
  return top === total ? "all agree" : `${top} of ${total} agree`;
}

/** One stored label as the reviewer reads it. */
export function describeLabel(label: StoredLabel, name: (key: string) => string = (k) => k): string {
  if (label.kind === "class") return name(label.value);
  if (label.kind === "box") {
    const { x, y, width, height } = label.value;
    return `box ${label.value.class} at (${Math.round(x)}, ${Math.round(y)}) ${Math.round(width)}×${Math.round(height)}`;
  }
  const pixels = label.value.rle.reduce((sum, run, index) => (index % 2 === 1 ? sum + run : sum), 0);
  return `mask ${label.value.class}, ${pixels} px`;
}

/** A stored label as it is sent back (accepting an annotator's labels). */
export function asInput(label: StoredLabel): LabelInput {
  return { kind: label.kind, value: label.value } as LabelInput;
}

export interface DecisionDraft {
  decision: Decision;
  /** The classes the reviewer chose (edit), or null to take the majority (accept). */
  classes: string[] | null;
  /** Boxes and masks to keep as truth (an annotator's, or the reviewer's edit of them). */
  regions: LabelInput[];
  note: string;
}

/**
 * The body of a decision, or the reason it cannot be sent yet (the server checks again):
 * a rejection needs a note; an edit needs a class; accepting with no majority needs a choice.
 */
export function decisionBody(draft: DecisionDraft, agreement: CaseAgreement): DecisionBody | string {
  const note = draft.note.trim();
  if (draft.decision === "reject") {
    return note ? { decision: "reject", note } : "A rejection needs a note saying why.";
  }
  const classes = draft.classes ?? (draft.decision === "accept" ? agreement.majority : null);
  if (!classes || classes.length === 0) {
    return draft.decision === "edit"
      ? "Choose the class for the edited labels."
      : "The annotators have no majority: choose a class (number keys) and edit.";
  }
  const labels: LabelInput[] = [...classes.map((value) => ({ kind: "class", value }) as LabelInput), ...draft.regions];
  if (draft.decision === "accept" && draft.classes === null && draft.regions.length === 0) {
    return note ? { decision: "accept", note } : { decision: "accept" };
  }
  return note ? { decision: draft.decision, labels, note } : { decision: draft.decision, labels };
}
