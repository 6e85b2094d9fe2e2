import { describe, expect, it } from "vitest";

import { WINDOW_PRESETS, voiRangeOf, windowLevelOf } from "./windowing";

describe("window presets", () => {
  it("turns the lung window W1500/L-600 into the range -1350..150 HU", () => {
    expect(voiRangeOf(WINDOW_PRESETS.lung)).toEqual({ lower: -1350, upper: 150 });
  });

  it("reads a VOI range back as the window it came from", () => {
    for (const preset of Object.values(WINDOW_PRESETS)) {
      expect(windowLevelOf(voiRangeOf(preset))).toEqual(preset);
    }
  });
});
