/**
 * Image ids for Cornerstone's WADO-RS loader, one per frame, from a series' DICOM JSON metadata.
 * Pure: no fetching, no Cornerstone, so it is tested without a browser.
 */

import { type DicomJsonDataset, firstNumber, firstString } from "../api/dicomJson";

const SOP_INSTANCE_UID = "00080018";
const INSTANCE_NUMBER = "00200013";
const NUMBER_OF_FRAMES = "00280008";
const ROWS = "00280010";

/** Where one displayed frame comes from: what findings and measurements are keyed by. */
export interface FrameRef {
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** 1-based, as in WADO-RS frame URLs and the worklist's findings. */
  frameNumber: number;
}

export interface StackFrame extends FrameRef {
  imageId: string;
  /** The instance's metadata, registered with the loader under this image id. */
  metadata: DicomJsonDataset;
}

/** `wadors:<root>/studies/<st>/series/<se>/instances/<sop>/frames/<n>`; root like https://host/dicomweb. */
export function wadorsImageId(
  dicomwebRoot: string,
  studyInstanceUid: string,
  frame: FrameRef,
): string {
  return (
    `wadors:${dicomwebRoot}/studies/${studyInstanceUid}/series/${frame.seriesInstanceUid}` +
    `/instances/${frame.sopInstanceUid}/frames/${frame.frameNumber}`
  );
}

/**
 * The frames of one series in display order: instances by InstanceNumber (unnumbered last, then
 * by SOP Instance UID so the order is stable), each instance's frames 1..NumberOfFrames in turn.
 * Instances without pixel data (no Rows: reports, presentation states) are left out.
 */
export function seriesFrames(
  dicomwebRoot: string,
  studyInstanceUid: string,
  seriesInstanceUid: string,
  instances: DicomJsonDataset[],
): StackFrame[] {
  const images = instances
    .map((metadata) => ({
      metadata: withoutImpossibleSpacing(metadata),
      sopInstanceUid: firstString(metadata, SOP_INSTANCE_UID) ?? "",
      instanceNumber: firstNumber(metadata, INSTANCE_NUMBER) ?? Number.POSITIVE_INFINITY,
    }))
    .filter((image) => image.sopInstanceUid !== "" && firstNumber(image.metadata, ROWS) !== undefined)
    .sort(
      (a, b) =>
        a.instanceNumber - b.instanceNumber || a.sopInstanceUid.localeCompare(b.sopInstanceUid),
    );
  const frames: StackFrame[] = [];
  for (const image of images) {
    const count = Math.max(1, Math.trunc(firstNumber(image.metadata, NUMBER_OF_FRAMES) ?? 1));
    for (let frameNumber = 1; frameNumber <= count; frameNumber++) {
      const ref = { seriesInstanceUid, sopInstanceUid: image.sopInstanceUid, frameNumber };
      frames.push({
        ...ref,
        imageId: wadorsImageId(dicomwebRoot, studyInstanceUid, ref),
        metadata: image.metadata,
      });
    }
  }
  return frames;
}

/** A key that says "this frame of this instance", for lookups by FrameRef. */
export function frameKey(frame: Pick<FrameRef, "sopInstanceUid" | "frameNumber">): string {
  return `${frame.sopInstanceUid}#${frame.frameNumber}`;
}

const SPACING_TAGS = ["00280030", "00181164"]; // Pixel Spacing, Imager Pixel Spacing

/**
 * The instance's metadata without pixel spacings that cannot be true (zero, negative, missing
 * values): some modalities write "0\0" for "not known", which would collapse the image to a
 * line. Without a spacing the viewer measures in pixels, which is what is known.
 */
export function withoutImpossibleSpacing(metadata: DicomJsonDataset): DicomJsonDataset {
  const impossible = SPACING_TAGS.filter((tag) => {
    const element = metadata[tag];
    if (!element?.Value) return false;
    const values = element.Value.map(Number);
    return values.length !== 2 || values.some((value) => !(Number.isFinite(value) && value > 0));
  });
  if (impossible.length === 0) return metadata;
  const cleaned = { ...metadata };
  for (const tag of impossible) delete cleaned[tag];
  return cleaned;
}
