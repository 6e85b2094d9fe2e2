/** Lookups across the open study's stacks: image id <-> frame, and where a frame sits. Pure. */

import { type FrameRef, type StackFrame, frameKey } from "./imageIds";

export interface FrameLocation {
  seriesIndex: number;
  imageIndex: number;
}

export class StudyFrames {
  private readonly byImageId = new Map<string, StackFrame>();
  private readonly byKey = new Map<string, StackFrame & FrameLocation>();

  constructor(stacks: readonly { frames: readonly StackFrame[] }[]) {
    stacks.forEach((stack, seriesIndex) =>
      stack.frames.forEach((frame, imageIndex) => {
        this.byImageId.set(frame.imageId, frame);
        this.byKey.set(frameKey(frame), { ...frame, seriesIndex, imageIndex });
      }),
    );
  }

  frameOf(imageId: string): FrameRef | undefined {
    return this.byImageId.get(imageId);
  }

  imageIdOf(frame: FrameRef): string | undefined {
    return this.byKey.get(frameKey(frame))?.imageId;
  }

  locate(frame: FrameRef): FrameLocation | undefined {
    const found = this.byKey.get(frameKey(frame));
    return found ? { seriesIndex: found.seriesIndex, imageIndex: found.imageIndex } : undefined;
  }
}
