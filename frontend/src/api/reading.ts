/**
 * Typed client for reading one study from the worklist (issue 4 contract, "Reading one study"):
 * its entry with the AI's per-image findings, the claim that keeps two readers off one study, and
 * the read itself. Rows and the next study come from ./worklist.
 */

import { ApiError, getJson, sendJson } from "./http";
import type { AiStatus, Claim, WorklistRow } from "./worklist";

/** A class key of the task registry (./tasks); shown through `classDisplayName`. */
export type DiagnosisLabel = string;

/** The model's result for one frame of one image. */
export interface Finding {
  finding_id: number;
  series_instance_uid: string;
  sop_instance_uid: string;
  frame_number: number;
  rows: number;
  columns: number;
  applicable: boolean;
  reason: string;
  probability: number | null;
  positive: boolean | null;
  label: DiagnosisLabel | null;
  threshold: number | null;
  model: string | null;
  heatmap_url: string | null;
  heatmap_region: { top: number; left: number; side: number } | null;
}

export type Verdict = "ai_right" | "ai_wrong" | null;

export interface Read {
  reader: string;
  opened_at: string | null;
  read_at: string;
  duration_seconds: number | null;
  verdict: Verdict;
  ai_status: AiStatus;
  ai_probability: number | null;
  model: string | null;
  label: null | { task: string; value: DiagnosisLabel; source: string };
}

export interface StudyForReading extends WorklistRow {
  findings: Finding[];
  read: Read | null;
}

export interface ReadResult {
  status: "read";
  read_at: string;
  read: Read;
}

/** The 409 body when someone else holds the study or it was read already. */
export interface ClaimConflict {
  detail: string;
  claim: Claim | null;
}

function studyUrl(studyInstanceUid: string, action = ""): string {
  return `/api/worklist/${encodeURIComponent(studyInstanceUid)}${action ? `/${action}` : ""}`;
}

export function getStudyForReading(
  studyInstanceUid: string,
  signal?: AbortSignal,
): Promise<StudyForReading> {
  return getJson<StudyForReading>(studyUrl(studyInstanceUid), signal ? { signal } : {});
}

/** Claim (or, as the holder, extend the claim on) a study. 409 ApiError: see `claimConflict`. */
export async function claimStudy(studyInstanceUid: string): Promise<Claim> {
  const answer = await sendJson<{ claim: Claim }>("POST", studyUrl(studyInstanceUid, "claim"));
  return answer.claim;
}

/** Who holds the study, from a claim or read request that answered 409; null for other errors. */
export function claimConflict(error: unknown): ClaimConflict | null {
  if (!(error instanceof ApiError) || error.kind !== "conflict") return null;
  const body = error.body as Partial<ClaimConflict> | undefined;
  return { detail: error.message, claim: body?.claim ?? null };
}

/** Give the study back; `keepalive` lets it go out while the page unloads. */
export function releaseStudy(studyInstanceUid: string, options: { keepalive?: boolean } = {}): Promise<void> {
  return sendJson<void>("POST", studyUrl(studyInstanceUid, "release"), undefined, options);
}

export function readStudy(studyInstanceUid: string, verdict: Verdict): Promise<ReadResult> {
  return sendJson<ReadResult>("POST", studyUrl(studyInstanceUid, "read"), { verdict });
}
