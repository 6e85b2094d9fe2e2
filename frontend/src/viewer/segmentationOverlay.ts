/**
 * A study's DICOM SEG shown as a Cornerstone labelmap over the series it segments: its frames
 * come from WADO-RS as they are stored (uncompressed), are unpacked into label values and fill
 * labelmap images derived from that series' images; the reader switches the overlay on and off.
 */

import { type Types, imageLoader } from "@cornerstonejs/core";
import { Enums as ToolsEnums, segmentation } from "@cornerstonejs/tools";

import { type DicomJsonDataset, firstString } from "../api/dicomJson";
import { DICOMWEB_ROOT } from "../api/qido";
import { frameKey } from "./imageIds";
import { type SegmentationInfo, frameLabels, parseSegmentation } from "./segFrames";
import type { SegmentationSeries, SeriesStack } from "./studyStacks";

const LABELMAP = ToolsEnums.SegmentationRepresentations.Labelmap;
const SOP_INSTANCE_UID = "00080018";
const IMAGE_POSITION = "00200032";
/** Uncompressed little endian, as the archive stores a SEG; it does not transcode. */
const FRAME_ACCEPT = "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1";

let nextId = 0;

export class SegmentationOverlay {
  private readonly segmentationId = `seg-overlay-${++nextId}`;
  private shownIn: string | null = null;
  private visible = false;

  private constructor(
    /** The series (its UID) whose images this overlay paints. */
    readonly seriesInstanceUid: string,
    /** The segments' labels, to say what the overlay shows. */
    readonly labels: readonly string[],
    labelmapImageIds: string[],
  ) {
    segmentation.addSegmentations([
      { segmentationId: this.segmentationId, representation: { type: LABELMAP, data: { imageIds: labelmapImageIds } } },
    ]);
  }

  /**
   * The SEG's labelmap over `stacks`' series it references (by Referenced Series Sequence, or the
   * series of its frames' source images); null when it references none of them.
   */
  static async load(
    studyInstanceUid: string,
    seg: SegmentationSeries,
    stacks: readonly SeriesStack[],
  ): Promise<SegmentationOverlay | null> {
    const parsed = seg.instances
      .map((metadata) => ({ metadata, info: parseSegmentation(metadata) }))
      .filter((entry): entry is { metadata: DicomJsonDataset; info: SegmentationInfo } => entry.info !== null);
    const first = parsed[0];
    if (!first) return null;
    const stack = referencedStack(first.info, stacks);
    if (!stack) return null;
    const labelmaps = imageLoader.createAndCacheDerivedLabelmapImages(stack.frames.map((frame) => frame.imageId));
    const locate = frameLocator(stack);
    for (const { metadata, info } of parsed) {
      const sop = firstString(metadata, SOP_INSTANCE_UID) ?? "";
      await Promise.all(
        info.frames.map(async (frame) => {
          const target = labelmaps[locate(frame)];
          if (!target) return;
          const bytes = await fetchFrame(studyInstanceUid, seg.series.seriesInstanceUid, sop, frame.frameNumber);
          const labels = frameLabels(bytes, info, frame.segmentNumber);
          const data = target.voxelManager?.getScalarData() ?? target.getPixelData();
          if (data.length !== labels.length) return; // not the same grid as the image: not shown
          for (let i = 0; i < labels.length; i++) if (labels[i]) data[i] = labels[i] ?? 0;
        }),
      );
    }
    const labels = parsed.flatMap(({ info }) => info.segments.map((segment) => segment.label));
    return new SegmentationOverlay(
      stack.series.seriesInstanceUid,
      labels,
      labelmaps.map((image) => image.imageId),
    );
  }

  get isVisible(): boolean {
    return this.visible;
  }

  /** Show or hide the overlay on `viewport` (which must show the segmented series). */
  setVisible(viewport: Types.IStackViewport, visible: boolean): void {
    this.visible = visible;
    if (visible && this.shownIn !== viewport.id) {
      this.detach();
      segmentation.addLabelmapRepresentationToViewport(viewport.id, [{ segmentationId: this.segmentationId }]);
      this.shownIn = viewport.id;
    }
    if (this.shownIn) {
      segmentation.config.visibility.setSegmentationRepresentationVisibility(
        this.shownIn,
        { segmentationId: this.segmentationId, type: LABELMAP },
        visible,
      );
    }
    viewport.render();
  }

  /** Take the overlay off the viewport (another series is shown there). */
  detach(): void {
    if (!this.shownIn) return;
    segmentation.removeSegmentationRepresentation(this.shownIn, { segmentationId: this.segmentationId, type: LABELMAP });
    this.shownIn = null;
  }

  destroy(): void {
    this.detach();
    segmentation.removeSegmentation(this.segmentationId);
  }
}

function referencedStack(info: SegmentationInfo, stacks: readonly SeriesStack[]): SeriesStack | undefined {
  const byUid = stacks.find((stack) => stack.series.seriesInstanceUid === info.referencedSeriesInstanceUid);
  if (byUid) return byUid;
  const sources = new Set(info.frames.map((frame) => frame.sopInstanceUid));
  return stacks.find((stack) => stack.frames.some((frame) => sources.has(frame.sopInstanceUid)));
}

/** Where a SEG frame goes in the stack: its source image, else the image at its position. */
function frameLocator(stack: SeriesStack): (frame: SegmentationInfo["frames"][number]) => number {
  const byKey = new Map(stack.frames.map((frame, index) => [frameKey(frame), index]));
  const byPosition = new Map<string, number>();
  stack.frames.forEach((frame, index) => {
    const position = frame.metadata[IMAGE_POSITION]?.Value;
    if (frame.frameNumber === 1 && position) byPosition.set(positionKey(position.map(Number)), index);
  });
  return (frame) => {
    const bySource = frame.sopInstanceUid
      ? byKey.get(frameKey({ sopInstanceUid: frame.sopInstanceUid, frameNumber: frame.sourceFrameNumber }))
      : undefined;
    return bySource ?? (frame.position ? byPosition.get(positionKey(frame.position)) : undefined) ?? -1;
  };
}

/** Positions to a tenth of a millimetre: writers round Image Position (Patient) differently. */
function positionKey(position: number[]): string {
  return position.map((value) => value.toFixed(1)).join("\\");
}

async function fetchFrame(study: string, series: string, sop: string, frame: number): Promise<Uint8Array> {
  const url =
    `${DICOMWEB_ROOT}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}` +
    `/instances/${encodeURIComponent(sop)}/frames/${frame}`;
  const response = await fetch(url, { headers: { accept: FRAME_ACCEPT } });
  if (!response.ok) throw new Error(`SEG frame ${frame}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
