/**
 * Which column headers sort, and how a click moves between the server's sort names. Each
 * sortable column lists its sorts in click order, with the direction the *shown values* take
 * (waiting time descends when the longest-waiting study comes first).
 */

import type { SortName } from "../api/worklist";

export type AriaSort = "ascending" | "descending" | "none" | "other";

export interface ColumnSort {
  sort: SortName;
  direction: AriaSort;
}

export const COLUMN_SORTS = {
  priority: [{ sort: "priority", direction: "other" }],
  ai: [
    { sort: "-probability", direction: "descending" },
    { sort: "probability", direction: "ascending" },
  ],
  modality: [{ sort: "modality", direction: "ascending" }],
  studyDate: [
    { sort: "-study_date", direction: "descending" },
    { sort: "study_date", direction: "ascending" },
  ],
  waiting: [
    { sort: "received", direction: "descending" },
    { sort: "-received", direction: "ascending" },
  ],
  status: [{ sort: "status", direction: "ascending" }],
} as const satisfies Record<string, readonly ColumnSort[]>;

export type SortableColumn = keyof typeof COLUMN_SORTS;

/** The sort a click on `column` asks for: its first sort, or the next one if already sorted by it. */
export function nextSort(column: SortableColumn, current: SortName): SortName {
  const sorts: readonly ColumnSort[] = COLUMN_SORTS[column];
  const index = sorts.findIndex((option) => option.sort === current);
  const next = sorts[(index + 1) % sorts.length] ?? sorts[0];
  return next ? next.sort : current;
}

/** aria-sort for the column's header under the current sort. */
export function ariaSort(column: SortableColumn, current: SortName): AriaSort {
  const sorts: readonly ColumnSort[] = COLUMN_SORTS[column];
  return sorts.find((option) => option.sort === current)?.direction ?? "none";
}

/** What the sort means, for the status line and the header's title. */
export const SORT_LABELS: Record<SortName, string> = {
  priority: "priority order (clinical priority, AI urgency, wait)",
  received: "longest waiting first",
  "-received": "most recent arrival first",
  "-probability": "highest AI probability first",
  probability: "lowest AI probability first",
  "-study_date": "newest study date first",
  study_date: "oldest study date first",
  modality: "modality",
  status: "status",
};
