/**
 * Model monitoring as the dashboard shows it (GET /api/models/monitoring?task=&days=): the typed
 * client, the readers' verdicts as table rows, the drift in words and the two histograms' bars.
 * Pure, apart from the fetch.
 */

import { getJson } from "../api/http";

export interface VerdictCounts {
  confirmed: number;
  refuted: number;
}

export interface MonitoredScores {
  /** Bin edges on [0, 1]: bins + 1 numbers. */
  bins: number[];
  /** Shares per bin of the version's calibrated scores on the fixed test set; null before it was evaluated. */
  reference_histogram: number[] | null;
  /** Shares per bin of its scores on incoming studies in the period; null when it scored none. */
  incoming_histogram: number[] | null;
  psi: number | null;
  ks: number | null;
  n_reference: number;
  n_incoming: number;
  /** Why a histogram is missing, in a sentence. */
  note: string | null;
}

export interface MonitoredVersion {
  id: number;
  version: number;
  is_active: boolean;
  reads: { ai_positive: VerdictCounts; ai_negative: VerdictCounts };
  scores: MonitoredScores;
  not_judged: { count: number; total: number; share: number | null; failed: number };
}

export interface ModelMonitoring {
  task: string;
  days: number;
  versions: MonitoredVersion[];
}

export function getModelMonitoring(task: string, days: number, signal?: AbortSignal): Promise<ModelMonitoring> {
  const query = new URLSearchParams({ task, days: String(days) });
  return getJson<ModelMonitoring>(`/api/models/monitoring?${query.toString()}`, signal ? { signal } : {});
}

/** "12%" (whole percent; one decimal under 10%), or "—" without a denominator. */
export function formatShare(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return "—";
  const percent = share * 100;
  return percent > 0 && percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

export interface VerdictRow {
  key: "ai_positive" | "ai_negative";
  label: string;
  confirmed: number;
  refuted: number;
  reads: number;
  /** Share of the reads that confirmed the AI; null without reads. */
  confirmedShare: number | null;
}

/** One row per AI result: how many reads confirmed and refuted it. */
export function verdictRows(version: MonitoredVersion): VerdictRow[] {
  const rows: [VerdictRow["key"], string][] = [
    ["ai_positive", "AI flagged"],
    ["ai_negative", "AI did not flag"],
  ];
  return rows.map(([key, label]) => {
    const { confirmed, refuted } = version.reads[key];
    const reads = confirmed + refuted;
    return { key, label, confirmed, refuted, reads, confirmedShare: reads ? confirmed / reads : null };
  });
}

/**
 * The population stability index in words, with the usual rule of thumb: under 0.1 the incoming
 * scores look like the test set's, 0.1 to 0.25 a moderate shift, above a major one.
 */
export function describeDrift(scores: MonitoredScores): string {
  if (scores.psi === null) return scores.note ?? "No drift figure: a histogram is missing.";
  const psi = scores.psi.toFixed(3);
  const ks = scores.ks === null ? "" : `, KS ${scores.ks.toFixed(3)}`;
  const words =
    scores.psi < 0.1
      ? "incoming scores look like the test set's"
      : scores.psi < 0.25
        ? "a moderate shift from the test set"
        : "a major shift from the test set";
  return `PSI ${psi}${ks}: ${words} (${scores.n_incoming} studies vs ${scores.n_reference} test images).`;
}

export interface Bar {
  series: "reference" | "incoming";
  /** Index of the bin. */
  bin: number;
  x: number;
  y: number;
  width: number;
  height: number;
  share: number;
}

/**
 * Side-by-side bars of the two histograms in a plot of `width` x `height` (y grows downwards):
 * each bin split in two, the test set's bar left, the incoming one right, both on one scale
 * whose top is the largest share. A missing histogram draws no bars.
 */
export function histogramBars(scores: MonitoredScores, width: number, height: number): Bar[] {
  const series: [Bar["series"], number[] | null][] = [
    ["reference", scores.reference_histogram],
    ["incoming", scores.incoming_histogram],
  ];
  const bins = Math.max(scores.bins.length - 1, 1);
  const top = Math.max(0, ...series.flatMap(([, shares]) => shares ?? []));
  if (top === 0) return [];
  const slot = width / bins;
  const barWidth = (slot * 0.8) / 2;
  return series.flatMap(([name, shares], side) =>
    (shares ?? []).map((share, bin) => {
      const barHeight = (share / top) * height;
      return {
        series: name,
        bin,
        x: bin * slot + slot * 0.1 + side * barWidth,
        y: height - barHeight,
        width: barWidth,
        height: barHeight,
        share,
      };
    }),
  );
}
