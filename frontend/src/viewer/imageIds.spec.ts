import { describe, expect, it } from "vitest";

import type { DicomJsonDataset } from "../api/dicomJson";
import { frameKey, seriesFrames, wadorsImageId, withoutImpossibleSpacing } from "./imageIds";

const ROOT = "http://host:8000/dicomweb";

function instance(sop: string, number?: number, frames?: number, rows = 512): DicomJsonDataset {
  const dataset: DicomJsonDataset = {
    "00080018": { vr: "UI", Value: [sop] },
    "00280010": { vr: "US", Value: [rows] },
  };
  if (number !== undefined) dataset["00200013"] = { vr: "IS", Value: [number] };
  if (frames !== undefined) dataset["00280008"] = { vr: "IS", Value: [String(frames)] };
  return dataset;
}

describe("wadorsImageId", () => {
  it("names one frame of an instance under the DICOMweb root", () => {
    const id = wadorsImageId(ROOT, "1.2", {
      seriesInstanceUid: "1.2.3",
      sopInstanceUid: "1.2.3.4",
      frameNumber: 2,
    });
    expect(id).toBe("wadors:http://host:8000/dicomweb/studies/1.2/series/1.2.3/instances/1.2.3.4/frames/2");
  });
});

describe("seriesFrames", () => {
  it("orders instances by InstanceNumber, not by the order the server sent them", () => {
    const frames = seriesFrames(ROOT, "st", "se", [instance("c", 3), instance("a", 1), instance("b", 2)]);
    expect(frames.map((f) => f.sopInstanceUid)).toEqual(["a", "b", "c"]);
    expect(frames.every((f) => f.frameNumber === 1)).toBe(true);
  });

  it("puts unnumbered instances last, in UID order", () => {
    const frames = seriesFrames(ROOT, "st", "se", [instance("z"), instance("y"), instance("x", 5)]);
    expect(frames.map((f) => f.sopInstanceUid)).toEqual(["x", "y", "z"]);
  });

  it("gives a multi-frame instance one image id per frame, in frame order", () => {
    const frames = seriesFrames(ROOT, "st", "se", [instance("m", 1, 3), instance("n", 2)]);
    expect(frames.map(frameKey)).toEqual(["m#1", "m#2", "m#3", "n#1"]);
    expect(frames[2]?.imageId).toBe(`wadors:${ROOT}/studies/st/series/se/instances/m/frames/3`);
    expect(frames[1]?.metadata).toBe(frames[0]?.metadata);
  });

  it("leaves out instances without pixel data", () => {
    const report: DicomJsonDataset = { "00080018": { vr: "UI", Value: ["sr"] } };
    const frames = seriesFrames(ROOT, "st", "se", [report, instance("img", 1)]);
    expect(frames.map((f) => f.sopInstanceUid)).toEqual(["img"]);
  });
});

describe("withoutImpossibleSpacing", () => {
  it("drops a pixel spacing of zero, which would collapse the image", () => {
    const dataset: DicomJsonDataset = {
      ...instance("a", 1),
      "00280030": { vr: "DS", Value: ["0.000", "0.000"] },
      "00181164": { vr: "DS", Value: [0.139, 0.139] },
    };
    const cleaned = withoutImpossibleSpacing(dataset);
    expect(cleaned["00280030"]).toBeUndefined();
    expect(cleaned["00181164"]).toEqual({ vr: "DS", Value: [0.139, 0.139] });
    expect(dataset["00280030"]).toBeDefined();
  });

  it("keeps good metadata as it is", () => {
    const dataset: DicomJsonDataset = { ...instance("a", 1), "00280030": { vr: "DS", Value: [0.7, 0.7] } };
    expect(withoutImpossibleSpacing(dataset)).toBe(dataset);
  });
});
