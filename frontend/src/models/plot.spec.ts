import { describe, expect, it } from "vitest";

import { diagonalPath, extent, historyPaths, linePath, project, reliabilityPath, rocPath } from "./plot";

const BOX = { width: 120, height: 120, padding: 10 };

describe("plot geometry", () => {
  it("puts the data's origin bottom left and (1, 1) top right", () => {
    expect(project(BOX, { x: [0, 1], y: [0, 1] }, 0, 0)).toEqual([10, 110]);
    expect(project(BOX, { x: [0, 1], y: [0, 1] }, 1, 1)).toEqual([110, 10]);
    expect(diagonalPath(BOX)).toBe("M10 110 L110 10");
  });

  it("draws a ROC curve through its points in order and skips broken ones", () => {
    expect(rocPath(BOX, [[0, 0], [0, 0.5], [Number.NaN, 1], [1, 1]])).toBe("M10 110 L10 60 L110 10");
    expect(rocPath(BOX, undefined)).toBe("");
  });

  it("draws the reliability curve from non-empty bins only", () => {
    const bins = [
      { mean_probability: 0.25, observed_rate: 0.5, count: 4 },
      { mean_probability: 0.75, observed_rate: 0.75, count: 0 },
    ];
    expect(reliabilityPath(BOX, bins)).toBe("M35 60");
  });

  it("pads a series' range and widens a flat one", () => {
    expect(extent([0, 1])).toEqual([-0.05, 1.05]);
    expect(extent([0.5])).toEqual([0, 1]);
    expect(extent([])).toEqual([0, 1]);
  });

  it("spreads epochs over the planned count, so a running curve grows rightwards", () => {
    const history = [
      { epoch: 1, loss: 0.6, val_auc: 0.8 },
      { epoch: 2, loss: 0.4, val_auc: 0.9 },
    ];
    const paths = historyPaths(BOX, history, 5);
    // Epoch 2 of 5 sits a quarter of the way across; falling loss goes down, rising AUC up.
    expect(paths.loss).toBe("M10 14.5 L35 105.5");
    expect(paths.auc).toBe("M10 105.5 L35 14.5");
  });

  it("joins points with M then L", () => {
    expect(linePath(BOX, { x: [0, 2], y: [0, 2] }, [[1, 1], [2, 2]])).toBe("M60 60 L110 10");
  });
});
