import { describe, expect, it } from "vitest";

import {
  type MonitoredScores,
  type MonitoredVersion,
  describeDrift,
  formatShare,
  histogramBars,
  verdictRows,
} from "./monitoringFormat";

const EDGES = [0, 0.25, 0.5, 0.75, 1];

function scores(overrides: Partial<MonitoredScores> = {}): MonitoredScores {
  return {
    bins: EDGES,
    reference_histogram: [0.5, 0.25, 0.25, 0],
    incoming_histogram: [0, 0, 0.5, 0.5],
    psi: 0.05,
    ks: 0.5,
    n_reference: 4,
    n_incoming: 2,
    note: null,
    ...overrides,
  };
}

const version: MonitoredVersion = {
  id: 3,
  version: 2,
  is_active: true,
  reads: { ai_positive: { confirmed: 3, refuted: 1 }, ai_negative: { confirmed: 0, refuted: 0 } },
  scores: scores(),
  not_judged: { count: 1, total: 8, share: 0.125, failed: 0 },
};

describe("shares", () => {
  it("writes whole percents, one decimal under ten, and a dash without a share", () => {
    expect(formatShare(0.125)).toBe("13%");
    expect(formatShare(0.05)).toBe("5.0%");
    expect(formatShare(0)).toBe("0%");
    expect(formatShare(1)).toBe("100%");
    expect(formatShare(null)).toBe("—");
  });
});

describe("verdicts", () => {
  it("gives one row per AI result with the share of reads that confirmed it", () => {
    const [flagged, notFlagged] = verdictRows(version);

    expect(flagged).toEqual({
      key: "ai_positive",
      label: "AI flagged",
      confirmed: 3,
      refuted: 1,
      reads: 4,
      confirmedShare: 0.75,
    });
    expect(notFlagged?.reads).toBe(0);
    expect(notFlagged?.confirmedShare).toBeNull();
  });
});

describe("drift in words", () => {
  it("follows the PSI rule of thumb", () => {
    expect(describeDrift(scores({ psi: 0.05 }))).toBe(
      "PSI 0.050, KS 0.500: incoming scores look like the test set's (2 studies vs 4 test images).",
    );
    expect(describeDrift(scores({ psi: 0.2 }))).toContain("a moderate shift");
    expect(describeDrift(scores({ psi: 0.3 }))).toContain("a major shift");
  });

  it("gives the server's note when there is no PSI", () => {
    const note = "This version has not been evaluated on the test set yet: no reference scores.";
    expect(describeDrift(scores({ psi: null, ks: null, reference_histogram: null, note }))).toBe(note);
  });
});

describe("histogram bars", () => {
  it("puts the test set's bar left of the incoming one in each bin, on one scale", () => {
    const bars = histogramBars(scores(), 400, 100);

    expect(bars).toHaveLength(8);
    const reference = bars.filter((bar) => bar.series === "reference");
    const incoming = bars.filter((bar) => bar.series === "incoming");
    // The tallest share (0.5) fills the height; 0.25 half of it; bars stand on the bottom.
    expect(reference[0]).toMatchObject({ bin: 0, x: 10, y: 0, width: 40, height: 100 });
    expect(reference[1]).toMatchObject({ bin: 1, x: 110, y: 50, height: 50 });
    expect(incoming[2]).toMatchObject({ bin: 2, x: 250, y: 0, height: 100 });
    expect(reference[3]?.height).toBe(0);
  });

  it("draws only the histogram there is, and nothing without scores", () => {
    const onlyIncoming = histogramBars(scores({ reference_histogram: null }), 400, 100);
    expect(onlyIncoming.every((bar) => bar.series === "incoming")).toBe(true);
    expect(onlyIncoming[3]?.height).toBe(100);

    expect(histogramBars(scores({ reference_histogram: null, incoming_histogram: null }), 400, 100)).toEqual([]);
  });
});
