/**
 * An image's windowing facts as the viewer needs them: the VOI its DICOM header stores (Window
 * Center/Width, VOI LUT), its photometric interpretation, and the range of its decoded pixels.
 */

import type { Types } from "@cornerstonejs/core";

import { type DicomJsonDataset, firstNumber, firstString } from "../api/dicomJson";
import { type PixelRange, pixelRange } from "./windowing";

const WINDOW_CENTER = "00281050";
const WINDOW_WIDTH = "00281051";
const VOI_LUT_SEQUENCE = "00283010";
const LUT_DESCRIPTOR = "00283002";
const PHOTOMETRIC_INTERPRETATION = "00280004";

export interface StoredVoi {
  center?: number | undefined;
  width?: number | undefined;
  /** The first VOI LUT's descriptor: entries, first value mapped, bits. */
  lutDescriptor?: number[];
}

export function storedVoi(metadata: DicomJsonDataset): StoredVoi {
  const center = firstNumber(metadata, WINDOW_CENTER);
  const width = firstNumber(metadata, WINDOW_WIDTH);
  const lut = metadata[VOI_LUT_SEQUENCE]?.Value?.[0] as DicomJsonDataset | undefined;
  const descriptor = (lut?.[LUT_DESCRIPTOR]?.Value ?? []).map(Number);
  return descriptor.length === 3 && descriptor.every(Number.isFinite)
    ? { center, width, lutDescriptor: descriptor }
    : { center, width };
}

/** Whether Cornerstone finds a window in the header itself (else the viewer sets one). */
export function hasStoredWindow(voi: StoredVoi): boolean {
  return voi.center !== undefined && voi.width !== undefined && voi.width >= 1;
}

export function isMonochrome1(metadata: DicomJsonDataset): boolean {
  return firstString(metadata, PHOTOMETRIC_INTERPRETATION) === "MONOCHROME1";
}

/** The decoded image's values in modality units (the loader may have rescaled them already). */
export function imagePixelRange(image: Types.IImage): PixelRange {
  const scaled = image.preScale?.scaled === true;
  const rescale = scaled ? { slope: 1, intercept: 0 } : { slope: image.slope || 1, intercept: image.intercept || 0 };
  return pixelRange(image.getPixelData(), rescale);
}
