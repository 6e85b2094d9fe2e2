/**
 * What the annotator has said about a case, as the label store takes it: the chosen classes, the
 * boxes and the masks, and whether the model's suggestion was kept. Pure: the viewer reads boxes
 * and masks out of Cornerstone and hands them here.
 */

import type { BoxValue, LabelInput, MaskValue, PreAnnotation, PreAnnotationOutcome, StoredLabel } from "../api/annotate";
import { sameBox } from "./boxes";

/**
 * The classes chosen after pressing `key`'s class: in a multi-label schema the key toggles it; in
 * a single-label one it becomes the only class (pressing the chosen one again clears it).
 */
export function toggleClass(chosen: readonly string[], key: string, multiLabel: boolean): string[] {
  if (chosen.includes(key)) return chosen.filter((k) => k !== key);
  return multiLabel ? [...chosen, key] : [key];
}

export interface CaseLabels {
  classes: readonly string[];
  boxes: readonly BoxValue[];
  masks: readonly MaskValue[];
}

/** The body's "labels": classes, then boxes, then masks. */
export function labelInputs(labels: CaseLabels): LabelInput[] {
  return [
    ...labels.classes.map((value): LabelInput => ({ kind: "class", value })),
    ...labels.boxes.map((value): LabelInput => ({ kind: "box", value })),
    ...labels.masks.map((value): LabelInput => ({ kind: "mask", value })),
  ];
}

/** The caller's stored labels on a case, split by kind (restoring a case after a reload). */
export function splitStored(stored: readonly StoredLabel[]): CaseLabels {
  const classes: string[] = [];
  const boxes: BoxValue[] = [];
  const masks: MaskValue[] = [];
  for (const label of stored) {
    if (label.kind === "class") classes.push(label.value);
    else if (label.kind === "box") boxes.push(label.value);
    else masks.push(label.value);
  }
  return { classes, boxes, masks };
}

export function hasSuggestion(pre: PreAnnotation): boolean {
  return pre.class !== null || pre.box !== null;
}

/**
 * Whether the annotator kept the model's suggestion: "kept" when what it suggested is all there
 * unchanged (its class is the one chosen, its box is one of the boxes, exactly), "edited" when
 * any of it was changed or removed, "none" when there was no suggestion. Derived from the labels
 * alone, so a reloaded case answers the same.
 */
export function preAnnotationOutcome(pre: PreAnnotation, labels: CaseLabels): PreAnnotationOutcome {
  if (!hasSuggestion(pre)) return "none";
  const classKept = pre.class === null || (labels.classes.length === 1 && labels.classes[0] === pre.class);
  const boxKept = pre.box === null || (labels.boxes.length === 1 && sameBox(labels.boxes[0], pre.box));
  return classKept && boxKept ? "kept" : "edited";
}

export function isEmpty(labels: CaseLabels): boolean {
  return labels.classes.length === 0 && labels.boxes.length === 0 && labels.masks.length === 0;
}
