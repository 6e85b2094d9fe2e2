/** Turnaround figures as the dashboard shows them: minutes, the period, chart series. Pure. */

import type { Spread, TurnaroundGroup } from "../api/turnaround";

export const PERIODS = [1, 7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];
export const DEFAULT_PERIOD: Period = 7;

export function periodFromSearch(search: string): Period {
  const days = Number(new URLSearchParams(search).get("days"));
  return PERIODS.find((period) => period === days) ?? DEFAULT_PERIOD;
}

export function periodToSearch(days: Period): string {
  return days === DEFAULT_PERIOD ? "" : `?days=${days}`;
}

/** Seconds -> minutes with one decimal (charts and tables agree); null stays null. */
export function toMinutes(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds / 6) / 10;
}

/** "12.5" (minutes) or "—" where there is nothing to measure. */
export function formatMinutes(seconds: number | null): string {
  const minutes = toMinutes(seconds);
  return minutes === null ? "—" : minutes.toFixed(1);
}

export const MEASURES = [
  { key: "wait", label: "Wait", description: "arrival to first opening" },
  { key: "read", label: "Read", description: "first opening to read" },
  { key: "turnaround", label: "Turnaround", description: "arrival to read" },
] as const satisfies readonly { key: keyof TurnaroundGroup; label: string; description: string }[];

export type Measure = (typeof MEASURES)[number]["key"];
export const STATISTICS = ["median", "p90"] as const satisfies readonly (keyof Spread)[];
export type Statistic = (typeof STATISTICS)[number];

export interface ChartSeries {
  measure: Measure;
  statistic: Statistic;
  label: string;
  /** Minutes per group, in group order; null draws no bar. */
  data: (number | null)[];
}

/** The x-axis label of a group: "STAT (12)". */
export function groupLabel(group: TurnaroundGroup): string {
  return `${group.label} (${group.count})`;
}

/** One series per measure and statistic: wait median, wait p90, read median, … */
export function chartSeries(groups: readonly TurnaroundGroup[]): ChartSeries[] {
  return MEASURES.flatMap((measure) =>
    STATISTICS.map((statistic) => ({
      measure: measure.key,
      statistic,
      label: `${measure.label} ${statistic === "median" ? "median" : "p90"}`,
      data: groups.map((group) => toMinutes(group[measure.key][statistic])),
    })),
  );
}
