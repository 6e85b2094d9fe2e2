/**
 * When the models page asks again, and what changed between two looks at the runs. Pure.
 */

import type { TrainingRun } from "../api/models";

/** Every two seconds while a run is queued or running. */
export const POLL_MS = 2000;

export function isLive(run: Pick<TrainingRun, "status">): boolean {
  return run.status === "queued" || run.status === "running";
}

/** Poll while any run is queued or running; stop once all have ended. */
export function shouldPoll(runs: readonly Pick<TrainingRun, "status">[]): boolean {
  return runs.some(isLive);
}

/**
 * Runs that were live in `before` and have ended in `after`: the page then reloads the versions,
 * the active version and the comparison, which an ended run may have changed.
 */
export function endedRuns(
  before: readonly Pick<TrainingRun, "id" | "status">[],
  after: readonly Pick<TrainingRun, "id" | "status">[],
): number[] {
  const wasLive = new Set(before.filter(isLive).map((run) => run.id));
  return after.filter((run) => wasLive.has(run.id) && !isLive(run)).map((run) => run.id);
}

/** The version whose comparison the page shows first: the newest run's registered candidate. */
export function candidateToShow(runs: readonly Pick<TrainingRun, "candidate">[]): number | null {
  for (const run of runs) if (run.candidate) return run.candidate.id;
  return null;
}
