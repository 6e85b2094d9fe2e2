import { describe, expect, it } from "vitest";

import { type StackFrame, wadorsImageId } from "./imageIds";
import { StudyFrames } from "./studyFrames";

function frame(series: string, sop: string, frameNumber = 1): StackFrame {
  const ref = { seriesInstanceUid: series, sopInstanceUid: sop, frameNumber };
  return { ...ref, imageId: wadorsImageId("http://h/dicomweb", "st", ref), metadata: {} };
}

const STACKS = [
  { frames: [frame("a", "a1"), frame("a", "a2")] },
  { frames: [frame("b", "b1", 1), frame("b", "b1", 2)] },
];

describe("StudyFrames", () => {
  const frames = new StudyFrames(STACKS);

  it("finds the frame an image id shows", () => {
    const imageId = STACKS[1]!.frames[1]!.imageId;
    expect(frames.frameOf(imageId)).toMatchObject({ sopInstanceUid: "b1", frameNumber: 2 });
    expect(frames.frameOf("wadors:elsewhere")).toBeUndefined();
  });

  it("finds the image id of a frame", () => {
    const ref = { seriesInstanceUid: "a", sopInstanceUid: "a2", frameNumber: 1 };
    expect(frames.imageIdOf(ref)).toBe(STACKS[0]!.frames[1]!.imageId);
  });

  it("says in which series and at which image a frame sits", () => {
    expect(frames.locate({ seriesInstanceUid: "b", sopInstanceUid: "b1", frameNumber: 2 })).toEqual({
      seriesIndex: 1,
      imageIndex: 1,
    });
    expect(frames.locate({ seriesInstanceUid: "b", sopInstanceUid: "zz", frameNumber: 1 })).toBeUndefined();
  });
});
