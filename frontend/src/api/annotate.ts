/**
 * The annotator's HTTP API (/api/annotate/...): the next case, a case with the caller's labels,
 * saving labels (autosave and submit), skipping, and the label schema. Types follow the shared
 * contract of issue 11; the server refuses what it does not accept with {"detail": ...}.
 */

import { getJson, getJsonResponse, sendJson } from "./http";

export interface BoxValue {
  class: string;
  /** Pixels: column of the left edge, row of the top edge, as the image's own grid counts them. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MaskValue {
  class: string;
  rows: number;
  columns: number;
  /** Row-major run lengths, the first a run of 0s (possibly empty); they add up to rows*columns. */
  rle: number[];
}

export type LabelInput =
  | { kind: "class"; value: string }
  | { kind: "box"; value: BoxValue }
  | { kind: "mask"; value: MaskValue };

export type StoredLabel = LabelInput & {
  id: number;
  provenance: Record<string, unknown>;
  updated_at: string;
};

export interface PreAnnotation {
  class: string | null;
  probability: number | null;
  model_version: number | null;
  box: { x: number; y: number; width: number; height: number } | null;
}

export interface AnnotationCase {
  /** The pseudonym: the only id an annotator sees. */
  id: string;
  task: string;
  schema_version: number;
  rows: number;
  columns: number;
  frame: number;
  image: { metadata_url: string; frame_url: string; rendered_url: string };
  pre_annotation: PreAnnotation;
  labels: StoredLabel[];
  slot: { number: number; status: string; locked_until: string | null; started_at: string | null };
  progress: { done: number; batch_size: number; position: number };
}

export interface SchemaClass {
  key: string;
  display_name: string;
  hotkey: string;
}

export interface RegionClass extends SchemaClass {
  /** "#rrggbb" */
  colour: string;
}

export interface LabelSchema {
  task: string;
  version: number;
  classes: SchemaClass[];
  multi_label: boolean;
  box_classes: RegionClass[];
  mask_classes: RegionClass[];
}

/** Whether the model's suggestion was kept as it was, changed, or there was none. */
export type PreAnnotationOutcome = "kept" | "edited" | "none";

export interface LabelsSave {
  labels: LabelInput[];
  seconds_spent: number;
  pre_annotation: PreAnnotationOutcome;
  submit: boolean;
}

const ROOT = "/api/annotate";

function casePath(pseudonym: string): string {
  return `${ROOT}/cases/${encodeURIComponent(pseudonym)}`;
}

/** A case for the caller (the one they hold, else a new one), or null when nothing is left. */
export async function nextCase(task?: string): Promise<AnnotationCase | null> {
  const answer = await sendJson<AnnotationCase | undefined>("POST", `${ROOT}/next`, task ? { task } : {});
  return answer ?? null;
}

export function getCase(pseudonym: string, signal?: AbortSignal): Promise<AnnotationCase> {
  return getJson<AnnotationCase>(casePath(pseudonym), signal ? { signal } : {});
}

/** Replace the caller's labels on the case; `submit` hands the slot in. */
export function saveLabels(pseudonym: string, body: LabelsSave, signal?: AbortSignal): Promise<AnnotationCase> {
  return sendJson<AnnotationCase>("PUT", `${casePath(pseudonym)}/labels`, body, signal ? { signal } : {});
}

/** Skip the case with a reason; the answer carries the next case, or null when none is left. */
export async function skipCase(pseudonym: string, reason: string): Promise<AnnotationCase | null> {
  const answer = await sendJson<{ next: AnnotationCase | null }>("POST", `${casePath(pseudonym)}/skip`, {
    reason,
  });
  return answer.next;
}

/** The address of a task's label schema: version `version`, or the current one without it. */
export function schemaPath(task: string, version?: number | null): string {
  const query = new URLSearchParams({ task });
  if (version !== undefined && version !== null) query.set("version", String(version));
  return `${ROOT}/schema?${query.toString()}`;
}

/**
 * A task's label schema. Pass the case's schema_version: a case made before the admin added a
 * version is labelled (and checked by the server) under its own version's keys, not the current.
 */
export async function getSchema(task: string, version?: number | null): Promise<LabelSchema> {
  const { body } = await getJsonResponse<LabelSchema>(schemaPath(task, version));
  return body;
}
