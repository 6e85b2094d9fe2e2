/**
 * A DICOM SEG instance read from its DICOM JSON metadata: its segments, what each frame segments
 * (which segment, on which source image), and its frames' pixels unpacked into label values.
 * Pure: the overlay fetches the frames and fills Cornerstone's labelmap with these.
 */

import { type DicomJsonDataset, firstNumber, firstString } from "../api/dicomJson";

const T = {
  referencedSeries: "00081115",
  seriesInstanceUid: "0020000E",
  segmentSequence: "00620002",
  segmentNumber: "00620004",
  segmentLabel: "00620005",
  segmentationType: "00620001",
  maximumFractionalValue: "00620014",
  perFrame: "52009230",
  shared: "52009229",
  derivationImage: "00089124",
  sourceImage: "00082112",
  referencedSopInstanceUid: "00081155",
  referencedFrameNumber: "00081160",
  segmentIdentification: "0062000A",
  referencedSegmentNumber: "0062000B",
  planePosition: "00209113",
  imagePositionPatient: "00200032",
  rows: "00280010",
  columns: "00280011",
  bitsAllocated: "00280100",
  numberOfFrames: "00280008",
} as const;

export interface Segment {
  number: number;
  label: string;
}

/** What one frame of the SEG paints, and where. */
export interface SegFrame {
  /** 1-based, as in WADO-RS frame URLs. */
  frameNumber: number;
  segmentNumber: number;
  /** The source image, when the frame names it (Derivation Image Sequence). */
  sopInstanceUid: string | undefined;
  sourceFrameNumber: number;
  /** Image Position (Patient), to match a frame that names no source image. */
  position: number[] | undefined;
}

export interface SegmentationInfo {
  referencedSeriesInstanceUid: string | undefined;
  segments: Segment[];
  frames: SegFrame[];
  rows: number;
  columns: number;
  bitsAllocated: number;
  type: "BINARY" | "FRACTIONAL" | "LABELMAP";
  maximumFractionalValue: number;
}

function items(dataset: DicomJsonDataset | undefined, tag: string): DicomJsonDataset[] {
  const value = dataset?.[tag]?.Value;
  return Array.isArray(value) ? (value as DicomJsonDataset[]) : [];
}

function numbers(dataset: DicomJsonDataset | undefined, tag: string): number[] | undefined {
  const value = dataset?.[tag]?.Value;
  const read = Array.isArray(value) ? value.map(Number) : [];
  return read.length && read.every(Number.isFinite) ? read : undefined;
}

/** The SEG's structure, or null when it lacks what a labelmap needs (size, frames). */
export function parseSegmentation(metadata: DicomJsonDataset): SegmentationInfo | null {
  const rows = firstNumber(metadata, T.rows);
  const columns = firstNumber(metadata, T.columns);
  if (!rows || !columns) return null;
  const count = Math.max(1, Math.trunc(firstNumber(metadata, T.numberOfFrames) ?? 1));
  const shared = items(metadata, T.shared)[0];
  const perFrame = items(metadata, T.perFrame);
  const frames: SegFrame[] = [];
  for (let index = 0; index < count; index++) {
    const groups = perFrame[index];
    const source = items(items(groups, T.derivationImage)[0], T.sourceImage)[0];
    const segmentNumber =
      firstNumber(items(groups, T.segmentIdentification)[0] ?? {}, T.referencedSegmentNumber) ??
      firstNumber(items(shared, T.segmentIdentification)[0] ?? {}, T.referencedSegmentNumber) ??
      1;
    frames.push({
      frameNumber: index + 1,
      segmentNumber,
      sopInstanceUid: source ? firstString(source, T.referencedSopInstanceUid) : undefined,
      sourceFrameNumber: (source && firstNumber(source, T.referencedFrameNumber)) || 1,
      position: numbers(items(groups, T.planePosition)[0], T.imagePositionPatient),
    });
  }
  const type = firstString(metadata, T.segmentationType);
  return {
    referencedSeriesInstanceUid: firstString(items(metadata, T.referencedSeries)[0] ?? {}, T.seriesInstanceUid),
    segments: items(metadata, T.segmentSequence).map((segment, i) => ({
      number: firstNumber(segment, T.segmentNumber) ?? i + 1,
      label: firstString(segment, T.segmentLabel) ?? `Segment ${i + 1}`,
    })),
    frames,
    rows,
    columns,
    bitsAllocated: firstNumber(metadata, T.bitsAllocated) ?? 1,
    type: type === "FRACTIONAL" || type === "LABELMAP" ? type : "BINARY",
    maximumFractionalValue: firstNumber(metadata, T.maximumFractionalValue) ?? 255,
  };
}

/**
 * One frame's pixels as label values: `segmentNumber` where the frame is set (1-bit data is
 * packed least significant bit first; a fractional frame counts from half its maximum up), 0
 * elsewhere; a LABELMAP frame's values are its segment numbers already.
 */
export function frameLabels(bytes: Uint8Array, info: SegmentationInfo, segmentNumber: number): Uint8Array {
  const pixels = info.rows * info.columns;
  const labels = new Uint8Array(pixels);
  if (info.bitsAllocated === 1) {
    for (let i = 0; i < pixels; i++) if (((bytes[i >> 3] ?? 0) >> (i & 7)) & 1) labels[i] = segmentNumber;
  } else if (info.bitsAllocated === 8) {
    const threshold = info.type === "FRACTIONAL" ? info.maximumFractionalValue / 2 : 0;
    for (let i = 0; i < pixels; i++) {
      const value = bytes[i] ?? 0;
      if (info.type === "LABELMAP") labels[i] = value;
      else if (value > threshold) labels[i] = segmentNumber;
    }
  } else {
    throw new Error(`A SEG with ${info.bitsAllocated} bits per pixel is not supported`);
  }
  return labels;
}
