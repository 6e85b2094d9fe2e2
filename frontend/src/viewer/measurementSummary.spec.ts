import { describe, expect, it } from "vitest";

import {
  formatMeasure,
  isMeasurementTool,
  measurementSummary,
  stableJson,
  storedMeasurementData,
} from "./measurementSummary";

const TARGET = "imageId:wadors:http://h/dicomweb/studies/1/series/2/instances/3/frames/1";

describe("measurementSummary", () => {
  it("gives a length with its unit", () => {
    expect(measurementSummary("Length", { [TARGET]: { length: 23.4321, unit: "mm" } })).toBe("23.4 mm");
  });

  it("gives an angle in degrees", () => {
    expect(measurementSummary("Angle", { [TARGET]: { angle: 42 } })).toBe("42.0°");
  });

  it("gives a region's mean and area", () => {
    const stats = { mean: 112.3, area: 310.2, modalityUnit: "HU", areaUnit: "mm²", max: 300 };
    expect(measurementSummary("EllipticalROI", { [TARGET]: stats })).toBe("mean 112 HU, area 310 mm²");
  });

  it("is empty until the tool has computed its statistics", () => {
    expect(measurementSummary("Length", undefined)).toBe("");
    expect(measurementSummary("Length", { [TARGET]: { length: null } })).toBe("");
    expect(measurementSummary("EllipticalROI", { [TARGET]: { mean: null, area: null } })).toBe("");
  });
});

describe("formatMeasure", () => {
  it("keeps about three significant digits", () => {
    expect(formatMeasure(1234.56)).toBe("1235");
    expect(formatMeasure(23.456)).toBe("23.5");
    expect(formatMeasure(2.3456)).toBe("2.35");
    expect(formatMeasure(-600.4)).toBe("-600");
  });
});

describe("storedMeasurementData", () => {
  it("keeps the points and label, drops cached statistics and the dragged handle", () => {
    const data = {
      label: "nodule",
      handles: {
        points: [[1, 2, 3], [4, 5, 6]],
        activeHandleIndex: 1,
        textBox: { hasMoved: false, worldPosition: [7, 8, 9] },
      },
      cachedStats: { [TARGET]: { length: 5, pointsInShape: [1, 2, 3] } },
    };
    expect(storedMeasurementData(data)).toEqual({
      label: "nodule",
      handles: { points: [[1, 2, 3], [4, 5, 6]] },
    });
  });

  it("keeps a text box the reader moved", () => {
    const textBox = { hasMoved: true, worldPosition: [7, 8, 9] };
    const stored = storedMeasurementData({ handles: { points: [], textBox }, label: "" });
    expect(stored).toEqual({ handles: { points: [], textBox } });
  });

  it("copies, so later edits of the annotation do not change what was stored", () => {
    const points = [[1, 2, 3]];
    const stored = storedMeasurementData({ handles: { points } });
    points[0]![0] = 99;
    expect(stored).toEqual({ handles: { points: [[1, 2, 3]] } });
  });
});

describe("stableJson", () => {
  it("writes equal objects alike whatever the order of their keys", () => {
    const a = { tool: "Length", data: { label: "x", handles: { points: [[1, 2, 3]] } } };
    const b = { data: { handles: { points: [[1, 2, 3]] }, label: "x" }, tool: "Length" };
    expect(stableJson(a)).toBe(stableJson(b));
    expect(stableJson([2, 1])).toBe("[2,1]");
  });
});

describe("isMeasurementTool", () => {
  it("accepts the tools the measurements API stores", () => {
    expect(isMeasurementTool("Length")).toBe(true);
    expect(isMeasurementTool("WindowLevel")).toBe(false);
    expect(isMeasurementTool(undefined)).toBe(false);
  });
});
