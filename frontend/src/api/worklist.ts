/** Typed client for the worklist: GET /api/worklist, POST /api/worklist/next and the SSE feed. */

import { getJson, sendJson } from "./http";

export type ClinicalPriority = "STAT" | "ASAP" | "ROUTINE";
export type AiStatus = "positive" | "negative" | "pending" | "not_applicable" | "failed" | "off";
export type StudyStatus = "waiting" | "read";
export type StatusFilter = StudyStatus | "all";

export const CLINICAL_PRIORITIES: readonly ClinicalPriority[] = ["STAT", "ASAP", "ROUTINE"];
export const AI_STATUSES: readonly AiStatus[] = [
  "positive",
  "negative",
  "pending",
  "not_applicable",
  "failed",
  "off",
];

/** The server's sort names: `received` is longest waiting first (oldest arrival first). */
export const SORT_NAMES = [
  "priority",
  "received",
  "-received",
  "probability",
  "-probability",
  "study_date",
  "-study_date",
  "modality",
  "status",
] as const;
export type SortName = (typeof SORT_NAMES)[number];

export interface AiResult {
  status: AiStatus;
  note: string;
  /** Calibrated probability of the finding, 0–1; null until scored or when not applicable. */
  probability: number | null;
  positive: boolean | null;
  label: string | null;
  threshold: number | null;
  model: string | null;
}

export interface Claim {
  by: string;
  mine: boolean;
  claimed_at: string;
  expires_at: string;
}

export interface WorklistRow {
  study_instance_uid: string;
  /** DICOM PN: "Family^Given^Middle^Prefix^Suffix". */
  patient_name: string;
  patient_id: string;
  accession_number: string;
  study_description: string;
  study_date: string | null;
  modality: string;
  num_instances: number;
  status: StudyStatus;
  clinical_priority: ClinicalPriority;
  clinical_reason: string;
  received_at: string;
  stable_at: string | null;
  scored_at: string | null;
  first_opened_at: string | null;
  read_at: string | null;
  /** Seconds from arrival to the server's now (or to the read, once read). */
  waiting_seconds: number;
  due_at: string;
  overdue: boolean;
  ai: AiResult;
  /**
   * Why the study is at its place, in words. For a waiting study the last two lines are the
   * time-dependent ones ("Waiting 14 min", "Due in 36 min" or "Overdue by …") at the server's now;
   * the worklist page writes those itself, ticking (rowFormat.ts placementReasons, timeReasons).
   */
  reasons: string[];
  claim: Claim | null;
  url: string;
}

export interface WorklistPage {
  count: number;
  offset: number;
  limit: number;
  ordering: { mode: "ai" | "fifo"; message: string };
  results: WorklistRow[];
}

/** Query parameters of GET /api/worklist, named as the server names them. */
export interface WorklistQuery {
  status: StatusFilter;
  modality: string;
  ai: AiStatus | "";
  priority: ClinicalPriority | "";
  q: string;
  received_from: string;
  received_to: string;
  sort: SortName;
  offset: number;
  limit: number;
}

export function worklistUrl(query: WorklistQuery): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    const text = String(value).trim();
    if (text !== "") params.set(name, text);
  }
  return `/api/worklist?${params.toString()}`;
}

export function listWorklist(query: WorklistQuery, signal?: AbortSignal): Promise<WorklistPage> {
  return getJson<WorklistPage>(worklistUrl(query), signal ? { signal } : {});
}

/**
 * Claim the most urgent waiting study no one else holds (404 when there is none). `exclude`
 * skips studies the reader has just passed over.
 */
export function claimNextStudy(exclude: string[] = []): Promise<WorklistRow> {
  return sendJson<WorklistRow>("POST", "/api/worklist/next", { exclude });
}

export const WORKLIST_EVENTS_URL = "/api/worklist/events";

/** One change announced on the SSE feed; the list itself is re-read from the server. */
export interface WorklistChange {
  id: number;
  kind: "placed" | "moved" | "claimed" | "released" | "read";
  study_instance_uid: string;
  by: string | null;
  at: string;
}
