/**
 * Which rows of a refreshed page are new or moved, to highlight them briefly. A row "moved" only
 * when its order relative to the other rows changed: a study inserted above pushes everything
 * below it down a place, and those rows did not move. The rows kept in place are a longest
 * increasing subsequence of their old positions; the rest moved.
 */

export type RowChange = "appeared" | "moved";

export function rowChanges(previous: readonly string[], next: readonly string[]): Map<string, RowChange> {
  const oldIndex = new Map(previous.map((uid, index) => [uid, index]));
  const changes = new Map<string, RowChange>();
  const survivors: { uid: string; old: number }[] = [];
  for (const uid of next) {
    const old = oldIndex.get(uid);
    if (old === undefined) changes.set(uid, "appeared");
    else survivors.push({ uid, old });
  }
  const kept = longestIncreasing(survivors.map((row) => row.old));
  survivors.forEach((row, index) => {
    if (!kept.has(index)) changes.set(row.uid, "moved");
  });
  return changes;
}

/** Indices (into `values`) of one longest strictly increasing subsequence; O(n log n). */
function longestIncreasing(values: readonly number[]): Set<number> {
  // tails[k]: index of the smallest tail of an increasing run of length k + 1 seen so far.
  const tails: number[] = [];
  const parent: number[] = new Array<number>(values.length).fill(-1);
  values.forEach((value, index) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((values[tails[middle] ?? 0] ?? 0) < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) parent[index] = tails[low - 1] ?? -1;
    tails[low] = index;
  });
  const kept = new Set<number>();
  for (let index = tails.at(-1) ?? -1; index >= 0; index = parent[index] ?? -1) kept.add(index);
  return kept;
}

export interface Highlight {
  change: RowChange;
  /** How long ago the change was seen. */
  ageMs: number;
}

/**
 * Changes seen in the last `windowMs`, so that a highlight outlives the next refresh (a study is
 * placed, then scored and moved a second later) instead of ending with it.
 */
export class RecentChanges {
  private readonly seen = new Map<string, { change: RowChange; at: number }>();

  constructor(private readonly windowMs: number) {}

  add(changes: ReadonlyMap<string, RowChange>, nowMs: number): void {
    for (const [uid, change] of changes) this.seen.set(uid, { change, at: nowMs });
  }

  clear(): void {
    this.seen.clear();
  }

  /** The changes still within the window at `nowMs`; older ones are forgotten. */
  active(nowMs: number): Map<string, Highlight> {
    const active = new Map<string, Highlight>();
    for (const [uid, { change, at }] of this.seen) {
      const ageMs = nowMs - at;
      if (ageMs < this.windowMs) active.set(uid, { change, ageMs });
      else this.seen.delete(uid);
    }
    return active;
  }
}
