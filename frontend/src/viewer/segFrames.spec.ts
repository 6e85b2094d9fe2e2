import { describe, expect, it } from "vitest";

import type { DicomJsonDataset } from "../api/dicomJson";
import { frameLabels, parseSegmentation } from "./segFrames";

const SOURCE = "1.2.3.4.5";

function frameGroups(sop: string, segment: number, z: number): DicomJsonDataset {
  return {
    "00089124": {
      vr: "SQ",
      Value: [{ "00082112": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [sop] } }] } }],
    },
    "0062000A": { vr: "SQ", Value: [{ "0062000B": { vr: "US", Value: [segment] } }] },
    "00209113": { vr: "SQ", Value: [{ "00200032": { vr: "DS", Value: [0, 0, z] } }] },
  };
}

const SEG: DicomJsonDataset = {
  "00280010": { vr: "US", Value: [2] },
  "00280011": { vr: "US", Value: [4] },
  "00280100": { vr: "US", Value: [1] },
  "00280008": { vr: "IS", Value: [2] },
  "00620001": { vr: "CS", Value: ["BINARY"] },
  "00081115": { vr: "SQ", Value: [{ "0020000E": { vr: "UI", Value: ["1.2.3"] } }] },
  "00620002": {
    vr: "SQ",
    Value: [
      { "00620004": { vr: "US", Value: [1] }, "00620005": { vr: "LO", Value: ["Liver"] } },
      { "00620004": { vr: "US", Value: [2] }, "00620005": { vr: "LO", Value: ["Spleen"] } },
    ],
  },
  "52009230": { vr: "SQ", Value: [frameGroups(SOURCE, 1, -10), frameGroups("1.2.3.4.6", 2, -9)] },
};

describe("a SEG's structure", () => {
  it("reads its segments, its referenced series and what each frame segments where", () => {
    const info = parseSegmentation(SEG);
    expect(info?.referencedSeriesInstanceUid).toBe("1.2.3");
    expect(info?.segments).toEqual([
      { number: 1, label: "Liver" },
      { number: 2, label: "Spleen" },
    ]);
    expect(info?.frames[1]).toEqual({
      frameNumber: 2,
      segmentNumber: 2,
      sopInstanceUid: "1.2.3.4.6",
      sourceFrameNumber: 1,
      position: [0, 0, -9],
    });
  });

  it("is null without a size", () => {
    expect(parseSegmentation({})).toBeNull();
  });
});

describe("a SEG frame's labels", () => {
  it("unpacks 1-bit pixels least significant bit first", () => {
    const info = parseSegmentation(SEG)!;
    // Pixels 0, 3 and 7 set: 0b10001001.
    expect([...frameLabels(Uint8Array.of(0b10001001), info, 2)]).toEqual([2, 0, 0, 2, 0, 0, 0, 2]);
  });

  it("counts a fractional pixel from half the maximum up", () => {
    const info = { ...parseSegmentation(SEG)!, bitsAllocated: 8, type: "FRACTIONAL" as const, maximumFractionalValue: 100 };
    expect([...frameLabels(Uint8Array.of(0, 50, 51, 100, 0, 0, 0, 0), info, 1)]).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
  });
});
