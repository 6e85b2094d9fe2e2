/**
 * The retraining loop over HTTP (issue 12's contract, admins only): model versions, training runs,
 * their schedules and per-task settings, candidate comparisons, promotion, rejection, roll-back
 * and shadow deployments.
 */

import { getJson, sendJson } from "./http";

/** Metrics on a test set, as ml/core/comparison.test_set_metrics writes them. */
export interface TestSetMetrics {
  auc: number | null;
  auc_ci?: [number, number] | number[] | null;
  sensitivity: number | null;
  specificity: number | null;
  threshold: number | null;
  ece: number | null;
  brier?: number | null;
  n?: number;
  positives?: number;
  /** [fpr, tpr] from (0, 0) to (1, 1). */
  roc?: number[][];
  reliability?: ReliabilityBin[];
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  mean_probability: number;
  observed_rate: number;
  count: number;
}

export interface ModelVersion {
  id: number;
  task: string;
  version: number;
  architecture: string;
  threshold: number;
  /** {"validation": {...}, "test": {...}} from training. */
  metrics: Record<string, Partial<TestSetMetrics> | undefined>;
  parent: number | null;
  created_by: string | null;
  created_at: string;
  is_active: boolean;
  load_error: string;
}

export interface VersionRef {
  id: number;
  version: number;
  is_active?: boolean;
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type TrainingMode = "fine_tune" | "scratch";

export interface EpochRecord {
  epoch: number;
  loss?: number | null;
  val_auc?: number | null;
  val_loss?: number | null;
  seconds?: number | null;
}

export interface TrainingRun {
  id: number;
  task: string;
  status: RunStatus;
  mode: TrainingMode;
  trigger: string;
  requested_by: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  phase: string;
  epoch: number | null;
  epochs: number | null;
  progress: {
    loss?: number | null;
    val_auc?: number | null;
    val_loss?: number | null;
    seconds_left?: number | null;
  } | null;
  history: EpochRecord[] | null;
  waiting_behind: number | null;
  message: string;
  error: string;
  attempts: number;
  cancel_requested?: boolean;
  candidate: VersionRef | null;
  base_version: VersionRef | null;
  log?: string;
}

export interface Comparison {
  candidate: VersionRef;
  baseline: VersionRef | null;
  test_set: { sha256: string; size: number; positives: number };
  candidate_metrics: TestSetMetrics;
  baseline_metrics: TestSetMetrics | null;
  difference: {
    auc: number;
    ci: number[];
    p_value: number | null;
    lower_bound_one_sided?: number | null;
    method: string;
  } | null;
  gate: { passed: boolean; reasons: string[]; margin: number };
  decision: string;
  created_at: string;
}

export interface TrainingSettings {
  task?: string;
  target_sensitivity: number;
  promotion_margin: number;
  auto_promote: boolean;
  shadow_hours: number;
  default_mode: TrainingMode;
}

export type ScheduleKind = "nightly" | "labels";

/** What POST/PUT take: the fields of the other kind may be left out (the server keeps defaults). */
export interface ScheduleBody {
  task: string;
  kind: ScheduleKind;
  enabled: boolean;
  hour?: number;
  minute?: number;
  min_new_labels?: number;
  check_minutes?: number;
  mode: TrainingMode;
}

export interface Schedule {
  task: string;
  kind: ScheduleKind;
  enabled: boolean;
  hour: number;
  minute: number;
  min_new_labels: number;
  check_minutes: number;
  mode: TrainingMode;
  id: number;
  last_fired_at: string | null;
  last_result: string;
}

export interface ShadowAgreement {
  n?: number;
  flag_changes?: number;
  flag_change_rate?: number | null;
  newly_flagged?: number;
  unflagged?: number;
  kendall_tau?: number | null;
  top10_overlap?: number | null;
}

export interface Shadow {
  deployment: { started_at: string; ends_at: string | null; stopped_at: string | null } | null;
  agreement: ShadowAgreement | null;
}

type Options = { signal?: AbortSignal };

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function get<T>(url: string, options: Options): Promise<T> {
  return getJson<T>(url, options.signal ? { signal: options.signal } : {});
}

export function listVersions(task: string, options: Options = {}): Promise<ModelVersion[]> {
  return get(`/api/models?${query({ task })}`, options);
}

export function listRuns(task: string, options: Options = {}): Promise<TrainingRun[]> {
  return get(`/api/training/runs?${query({ task })}`, options);
}

/** One run with its log. */
export function getRun(id: number, options: Options = {}): Promise<TrainingRun> {
  return get(`/api/training/runs/${id}`, options);
}

/** Ask for a run; 202 with the run, queued behind a running one when there is one. */
export function requestRun(task: string, mode: TrainingMode): Promise<TrainingRun> {
  return sendJson("POST", "/api/training/runs", { task, mode });
}

export function cancelRun(id: number): Promise<TrainingRun> {
  return sendJson("POST", `/api/training/runs/${id}/cancel`);
}

/** The stored comparison of a version with the version active when it was reviewed; 404 when none. */
export function getComparison(versionId: number, options: Options = {}): Promise<Comparison> {
  return get(`/api/models/${versionId}/comparison`, options);
}

/** Compare a version with the active one now (a few seconds on the server). */
export function computeComparison(versionId: number): Promise<Comparison> {
  return sendJson("POST", `/api/models/${versionId}/comparison`);
}

export function promoteVersion(versionId: number, note = ""): Promise<ModelVersion> {
  return sendJson("POST", `/api/models/${versionId}/activate`, { note });
}

export function rejectVersion(versionId: number, note = ""): Promise<unknown> {
  return sendJson("POST", `/api/models/${versionId}/reject`, { note });
}

/** Activate the version active before the current one; 409 with the reason when there is none. */
export function rollBack(task: string, note = ""): Promise<ModelVersion> {
  return sendJson("POST", "/api/models/rollback", { task, note });
}

export function getShadow(versionId: number, options: Options = {}): Promise<Shadow> {
  return get(`/api/models/${versionId}/shadow`, options);
}

export function stopShadow(versionId: number): Promise<unknown> {
  return sendJson("POST", `/api/models/${versionId}/shadow/stop`);
}

function settingsPath(task: string): string {
  return `/api/training/settings/${encodeURIComponent(task)}`;
}

export function getTrainingSettings(task: string, options: Options = {}): Promise<TrainingSettings> {
  return get(settingsPath(task), options);
}

/** A field typed in words goes as typed, for the server to refuse by name. */
export function putTrainingSettings(
  task: string,
  body: Record<keyof Omit<TrainingSettings, "task">, unknown>,
): Promise<TrainingSettings> {
  return sendJson("PUT", settingsPath(task), body);
}

export function listSchedules(task: string, options: Options = {}): Promise<Schedule[]> {
  return get(`/api/training/schedules?${query({ task })}`, options);
}

export function addSchedule(body: ScheduleBody): Promise<Schedule> {
  return sendJson("POST", "/api/training/schedules", body);
}

export function updateSchedule(id: number, body: ScheduleBody): Promise<Schedule> {
  return sendJson("PUT", `/api/training/schedules/${id}`, body);
}

export function deleteSchedule(id: number): Promise<void> {
  return sendJson("DELETE", `/api/training/schedules/${id}`);
}
