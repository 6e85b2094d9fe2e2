/**
 * The reviewer's HTTP API (/api/review/...): the queue (disagreements first), a case with every
 * annotator's labels, the decision, and the agreement figures. Types follow issue 11's contract.
 */

import type { AnnotationCase, LabelInput, PreAnnotation, StoredLabel } from "../api/annotate";
import { getJson, sendJson } from "../api/http";

export interface CaseAgreement {
  annotators: number;
  /** Class answer ("a", or "a+b" when multi-label) -> how many annotators gave it. */
  votes: Record<string, number>;
  /** The answer more than half gave, or null. */
  majority: string[] | null;
  /** Share of annotators not giving the most common answer. */
  class_disagreement: number;
  box_iou: number | null;
  box_pairs: number;
  mask_dice: number | null;
  mask_pairs: number;
}

export interface QueueItem {
  id: string;
  task: string;
  annotators: number;
  agreement: CaseAgreement;
  created_at: string;
}

export interface AnnotatorLabels {
  annotator: string;
  slot: number | null;
  status: string | null;
  seconds_spent: number | null;
  labels: StoredLabel[];
}

export interface ReviewCase
  extends Pick<AnnotationCase, "id" | "task" | "schema_version" | "rows" | "columns" | "frame" | "image"> {
  status: "open" | "labelled" | "adjudicated";
  pre_annotation: PreAnnotation;
  /** The adjudicated labels, once decided. */
  labels: StoredLabel[];
  annotations: AnnotatorLabels[];
  agreement: CaseAgreement;
  decision: { decision: Decision; reviewer: string; note: string; created_at: string } | null;
}

export type Decision = "accept" | "edit" | "reject";

export interface DecisionBody {
  decision: Decision;
  labels?: LabelInput[];
  note?: string;
}

export interface Kappa {
  kappa: number | null;
  observed: number | null;
  cases: number;
}

export interface Agreement {
  task: string;
  cases: number;
  overall: { fleiss_kappa: number | null; observed: number | null; expected: number | null; cases: number };
  classes: { class: string; fleiss_kappa: number | null; cases: number; chosen: number; ratings: number }[];
  annotators: {
    annotator: string;
    cases: number;
    pairs: (Kappa & { with: string })[];
    truth: Kappa;
    box_iou: { mean: number | null; pairs: number };
    mask_dice: { mean: number | null; pairs: number };
  }[];
  boxes: { iou_mean: number | null; pairs: number };
  masks: { dice_mean: number | null; pairs: number };
}

const ROOT = "/api/review";

function taskQuery(task?: string): string {
  return task ? `?task=${encodeURIComponent(task)}` : "";
}

export function getReviewQueue(task?: string, signal?: AbortSignal): Promise<QueueItem[]> {
  return getJson<QueueItem[]>(`${ROOT}/queue${taskQuery(task)}`, signal ? { signal } : {});
}

export function getReviewCase(pseudonym: string, signal?: AbortSignal): Promise<ReviewCase> {
  return getJson<ReviewCase>(`${ROOT}/cases/${encodeURIComponent(pseudonym)}`, signal ? { signal } : {});
}

export function decideCase(pseudonym: string, body: DecisionBody): Promise<ReviewCase> {
  return sendJson<ReviewCase>("POST", `${ROOT}/cases/${encodeURIComponent(pseudonym)}/decision`, body);
}

export function getAgreement(task?: string, signal?: AbortSignal): Promise<Agreement> {
  return getJson<Agreement>(`${ROOT}/agreement${taskQuery(task)}`, signal ? { signal } : {});
}
