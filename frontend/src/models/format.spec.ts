import { describe, expect, it } from "vitest";

import type { Comparison } from "../api/models";
import {
  awaitsDecision,
  durationText,
  fixed,
  interval,
  pValueText,
  progressFraction,
  progressText,
  registeredAuc,
  signed,
  verdictText,
} from "./format";

describe("a running run's progress", () => {
  it("reads as epoch, loss, validation AUC and time left", () => {
    const run = {
      epoch: 3,
      epochs: 16,
      phase: "training",
      progress: { loss: 0.2071, val_auc: 0.98123, val_loss: 0.3, seconds_left: 40.4 },
    };
    expect(progressText(run)).toBe("Epoch 3 of 16 · loss 0.21 · val AUC 0.981 · about 40 s left");
    expect(progressFraction(run)).toBeCloseTo(3 / 16);
  });

  it("says it is starting before the first epoch, naming the phase", () => {
    expect(progressText({ epoch: 0, epochs: 16, phase: "snapshot", progress: null })).toBe(
      "Starting (snapshot)",
    );
    expect(progressFraction({ epoch: null, epochs: null })).toBe(0);
  });

  it("names the phase after the last epoch instead of time left", () => {
    const run = { epoch: 4, epochs: 4, phase: "evaluating", progress: { loss: 0.1, seconds_left: 0 } };
    expect(progressText(run)).toBe("Epoch 4 of 4 · loss 0.10 · evaluating");
  });
});

describe("durations", () => {
  it("are seconds under a minute and a half, then minutes, then hours", () => {
    expect(durationText(40)).toBe("40 s");
    expect(durationText(200)).toBe("3 min");
    expect(durationText(3900)).toBe("1 h 5 min");
    expect(durationText(7200)).toBe("2 h");
    expect(durationText(-3)).toBe("0 s");
  });
});

describe("figures", () => {
  it("write missing values as a dash", () => {
    expect(fixed(null)).toBe("–");
    expect(fixed(0.98149)).toBe("0.981");
    expect(interval([0.9612, 0.9891])).toBe("0.961–0.989");
    expect(interval(null)).toBe("–");
    expect(signed(-0.0123)).toBe("−0.012");
    expect(signed(0.004)).toBe("+0.004");
  });

  it("write tiny p values as a bound", () => {
    expect(pValueText(0.00002)).toBe("p < 0.001");
    expect(pValueText(0.0312)).toBe("p = 0.031");
  });

  it("take a version's test AUC, else its validation AUC", () => {
    expect(registeredAuc({ metrics: { test: { auc: 0.97 }, validation: { auc: 0.9 } } })).toBe(0.97);
    expect(registeredAuc({ metrics: { validation: { auc: 0.9 } } })).toBe(0.9);
    expect(registeredAuc({ metrics: {} })).toBeNull();
  });
});

describe("the gate's verdict", () => {
  const waiting: Pick<Comparison, "gate" | "decision" | "candidate"> = {
    decision: "waiting",
    candidate: { id: 2, version: 2, is_active: false },
    gate: { passed: false, reasons: ["AUC 0.981 vs 0.978: not above the margin 0.000."], margin: 0 },
  };

  it("says an admin decides, and why", () => {
    expect(verdictText(waiting)).toBe("Waiting for you: AUC 0.981 vs 0.978: not above the margin 0.000.");
    expect(awaitsDecision(waiting)).toBe(true);
  });

  it("says what was decided once it was", () => {
    const promoted = { ...waiting, decision: "auto_promoted", gate: { passed: true, reasons: [], margin: 0 } };
    expect(verdictText(promoted)).toBe("Promoted automatically. Passed the gate.");
    expect(awaitsDecision({ ...promoted, candidate: { id: 2, version: 2, is_active: true } })).toBe(false);
  });
});
