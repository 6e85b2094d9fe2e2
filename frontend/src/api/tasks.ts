/**
 * The task registry, from GET /api/tasks: each model task's classes and how to write them. The
 * front end writes no class name of its own; it loads the registry once at start (`loadTasks`)
 * and shows a stored class key through `classDisplayName`.
 */

import { getJson } from "./http";

export interface TaskClass {
  /** What labels and predictions store. */
  key: string;
  /** How to write it inside a sentence. */
  display_name: string;
  positive: boolean;
}

export interface Task {
  name: string;
  display_name: string;
  classes: TaskClass[];
  finding: string;
  modalities: string[];
  eligibility: string;
}

let registry: Task[] = [];

export function getTasks(signal?: AbortSignal): Promise<Task[]> {
  return getJson<Task[]>("/api/tasks", signal ? { signal } : {});
}

/** Load the registry for `classDisplayName`; a failed load leaves class keys shown as they are. */
export async function loadTasks(): Promise<void> {
  registry = await getTasks().catch(() => registry);
}

/** Replace the loaded registry (tests, or a page that fetched it itself). */
export function setTasks(tasks: Task[]): void {
  registry = tasks;
}

/** The display name of class `key` of `task` (of any task when it is not known); the key itself
 * when the registry has no such class or is not loaded. */
export function classDisplayName(key: string, task?: string): string {
  const tasks = task === undefined ? registry : registry.filter((t) => t.name === task);
  for (const t of tasks) {
    const found = t.classes.find((c) => c.key === key);
    if (found) return found.display_name;
  }
  return key;
}
