import { describe, expect, it } from "vitest";

import {
  CT_PRESETS,
  ownWindow,
  pixelRange,
  voiRangeOf,
  windowLevelOf,
  windowPresets,
} from "./windowing";

const CR_RANGE = { min: 0, max: 30_000, low: 2_000, high: 28_000, median: 6_000 };

describe("window and VOI range", () => {
  it("turns the lung window W1500/L-600 into -1350..149 HU, as DICOM's linear function does", () => {
    expect(voiRangeOf({ width: 1500, center: -600 })).toEqual({ lower: -1350, upper: 149 });
  });

  it("reads a VOI range back as the window it came from", () => {
    for (const preset of CT_PRESETS) expect(windowLevelOf(voiRangeOf(preset.window))).toEqual(preset.window);
  });
});

describe("the image's own window", () => {
  it("is its Window Center/Width when it has one", () => {
    expect(ownWindow({ center: 15_000, width: 30_000 }, CR_RANGE)).toEqual({ width: 30_000, center: 15_000 });
  });

  it("else spans the values its VOI LUT maps", () => {
    expect(voiRangeOf(ownWindow({ lutDescriptor: [4096, 100, 12] }, CR_RANGE))).toEqual({
      lower: 100,
      upper: 4195,
    });
  });

  it("else spans its pixels' 1st to 99th percentile", () => {
    expect(voiRangeOf(ownWindow({}, CR_RANGE))).toEqual({ lower: 2_000, upper: 28_000 });
  });
});

describe("presets by modality", () => {
  const own = { width: 30_000, center: 15_000 };

  it("offers the Hounsfield presets on CT only", () => {
    expect(windowPresets("CT", own, CR_RANGE, { monochrome1: false }).map((p) => p.id)).toEqual([
      "ct-lung",
      "ct-mediastinum",
      "ct-bone",
      "ct-brain",
    ]);
    for (const modality of ["CR", "DX", "MR", "US"]) {
      const ids = windowPresets(modality, own, CR_RANGE, { monochrome1: false }).map((p) => p.id);
      expect(ids.some((id) => id.startsWith("ct-"))).toBe(false);
      expect(ids[0]).toBe("default");
    }
  });

  it("gives a radiograph lung and bone contrast inside its own range", () => {
    const presets = windowPresets("CR", own, CR_RANGE, { monochrome1: false });
    expect(presets.map((p) => p.id)).toEqual(["default", "xray-lung", "xray-bone"]);
    const [, lung, bone] = presets.map((p) => voiRangeOf(p.window));
    expect(lung).toEqual({ lower: 2_000, upper: 8_500 }); // the median, a quarter of the range up
    expect(bone).toEqual({ lower: 8_500, upper: 28_000 });
  });

  it("takes lungs from the high values of a MONOCHROME1 radiograph, which shows them dark", () => {
    const [, lung, bone] = windowPresets("DX", own, CR_RANGE, { monochrome1: true }).map((p) =>
      voiRangeOf(p.window),
    );
    expect(lung).toEqual({ lower: 8_500, upper: 28_000 });
    expect(bone).toEqual({ lower: 2_000, upper: 8_500 });
  });

  it("gives other modalities their own window and their full range", () => {
    const presets = windowPresets("MR", own, CR_RANGE, { monochrome1: false });
    expect(presets.map((p) => p.id)).toEqual(["default", "full-range"]);
    expect(voiRangeOf(presets[1]!.window)).toEqual({ lower: 0, upper: 30_000 });
  });
});

describe("pixel range", () => {
  it("rescales and trims the extreme percent at either end", () => {
    const pixels = Uint16Array.from({ length: 1000 }, (_, i) => i);
    const range = pixelRange(pixels, { slope: 2, intercept: -1000 });
    expect(range.min).toBe(-1000);
    expect(range.max).toBe(998);
    expect(range.low).toBe(-1000 + 2 * 9);
    expect(range.high).toBe(-1000 + 2 * 989);
    expect(range.median).toBe(-1000 + 2 * 499);
  });

  it("samples a large image", () => {
    const pixels = new Int16Array(4_000_000).fill(7);
    expect(pixelRange(pixels)).toEqual({ min: 7, max: 7, low: 7, high: 7, median: 7 });
  });
});
