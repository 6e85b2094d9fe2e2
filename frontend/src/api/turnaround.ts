/** Typed client for the turnaround dashboard: GET /api/turnaround?days=N. */

import { getJson } from "./http";

/** Median and 90th percentile, in seconds; null when the group has no study. */
export interface Spread {
  median: number | null;
  p90: number | null;
}

export interface TurnaroundGroup {
  /** "STAT", "ASAP", "ROUTINE", or an AI result ("positive", …). */
  key: string;
  label: string;
  count: number;
  /** Arrival to first opening. */
  wait: Spread;
  /** First opening to read. */
  read: Spread;
  /** Arrival to read. */
  turnaround: Spread;
}

export interface Turnaround {
  from: string;
  to: string;
  studies_read: number;
  waiting_now: number;
  by_priority: TurnaroundGroup[];
  by_ai: TurnaroundGroup[];
}

export function getTurnaround(days: number, signal?: AbortSignal): Promise<Turnaround> {
  return getJson<Turnaround>(`/api/turnaround?days=${days}`, signal ? { signal } : {});
}
