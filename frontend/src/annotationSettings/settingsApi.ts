/**
 * The admin's annotation settings over HTTP (issue 11's contract): every label schema version of
 * a task and a new one (POST adds version n+1), the queue settings (GET/PUT), and the strategies
 * an admin may choose, with their display names.
 */

import type { LabelSchema } from "../api/annotate";
import { getJson, sendJson } from "../api/http";

const ROOT = "/api/annotate";

/** A stored schema version, with who added it, when and why. */
export interface SchemaVersion extends LabelSchema {
  note: string;
  created_at: string;
  created_by: string | null;
}

/** What POST /api/annotate/schemas takes: the lists of the new version and a note. */
export type SchemaBody = Pick<LabelSchema, "classes" | "multi_label" | "box_classes" | "mask_classes"> & {
  note: string;
};

export interface QueueSettings {
  task: string;
  strategy: string;
  labels_required: number;
  batch_size: number;
  lock_seconds: number;
}

/** The PUT body; a field the admin left blank or wrote in words goes as typed, for the server to
 * refuse in words. */
export type QueueSettingsBody = Record<keyof Omit<QueueSettings, "task">, string | number>;

export interface StrategyChoice {
  key: string;
  display_name: string;
}

function taskQuery(task: string): string {
  return new URLSearchParams({ task }).toString();
}

/** Every version of the task's schema, newest first. */
export function listSchemas(task: string, signal?: AbortSignal): Promise<SchemaVersion[]> {
  return getJson<SchemaVersion[]>(`${ROOT}/schemas?${taskQuery(task)}`, signal ? { signal } : {});
}

/** Add the next version; refused with {"errors": {list: message}} or DRF field errors. */
export function addSchema(task: string, body: SchemaBody): Promise<SchemaVersion> {
  return sendJson<SchemaVersion>("POST", `${ROOT}/schemas?${taskQuery(task)}`, body);
}

function queuePath(task: string): string {
  return `${ROOT}/queue-settings/${encodeURIComponent(task)}`;
}

export function getQueueSettings(task: string, signal?: AbortSignal): Promise<QueueSettings> {
  return getJson<QueueSettings>(queuePath(task), signal ? { signal } : {});
}

export function putQueueSettings(task: string, body: QueueSettingsBody): Promise<QueueSettings> {
  return sendJson<QueueSettings>("PUT", queuePath(task), body);
}

export function listStrategies(signal?: AbortSignal): Promise<StrategyChoice[]> {
  return getJson<StrategyChoice[]>(`${ROOT}/strategies`, signal ? { signal } : {});
}
