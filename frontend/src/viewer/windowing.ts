/**
 * Windows for an image: its own (Window Center/Width or VOI LUT, else a range from its pixels),
 * the presets its modality gets, and the conversions between a window and Cornerstone's VOI
 * range. Pure.
 */

export interface WindowLevel {
  width: number;
  center: number;
}

export interface VoiRange {
  lower: number;
  upper: number;
}

/** The spread of an image's values in modality units (after Rescale Slope/Intercept). */
export interface PixelRange {
  min: number;
  max: number;
  /** 1st and 99th percentiles: the range without a few extreme pixels (markers, collimation). */
  low: number;
  high: number;
  median: number;
}

export interface WindowPreset {
  /** Stable id ("ct-lung", "xray-bone", "default"), for the toolbar and tests. */
  id: string;
  caption: string;
  window: WindowLevel;
}

/** The usual CT windows, in Hounsfield units. Only ever offered on CT. */
export const CT_PRESETS: readonly WindowPreset[] = [
  { id: "ct-lung", caption: "Lung", window: { width: 1500, center: -600 } },
  { id: "ct-mediastinum", caption: "Mediast.", window: { width: 350, center: 50 } },
  { id: "ct-bone", caption: "Bone", window: { width: 2000, center: 300 } },
  { id: "ct-brain", caption: "Brain", window: { width: 80, center: 40 } },
];

/** Projection radiography: values are detector exposure, not Hounsfield units. */
const RADIOGRAPHY = new Set(["CR", "DX", "DR", "RG", "MG", "IO", "PX", "RF", "XA"]);

/** A contrast preset spans at least this share of the image's range. */
const MIN_CONTRAST_SHARE = 0.25;

/**
 * The presets for an image of `modality`, in toolbar (and shortcut) order. CT gets the Hounsfield
 * windows; a radiograph its own window and lung- and bone-contrast windows over the part of its
 * range shown darker, respectively brighter, than its median pixel (MONOCHROME1 shows high values
 * dark); anything else its own window and its full range. On the chest CR of the test data (1st,
 * 50th, 99th percentiles 2156, 5629, 22789) that puts the lungs (7300-16800) in the lung window
 * and the spine (3100-4100) in the bone window.
 */
export function windowPresets(
  modality: string,
  own: WindowLevel,
  range: PixelRange,
  options: { monochrome1: boolean },
): WindowPreset[] {
  if (modality.toUpperCase() === "CT") return [...CT_PRESETS];
  const preset = { id: "default", caption: "Default", window: own };
  if (!RADIOGRAPHY.has(modality.toUpperCase())) {
    const full = { id: "full-range", caption: "Full range", window: windowOfRange(range.min, range.max) };
    return [preset, full];
  }
  const span = Math.max(range.high - range.low, 1);
  // Where the lower part ends: the median, kept off either end so neither part is flat.
  const split = Math.min(
    Math.max(range.median, range.low + MIN_CONTRAST_SHARE * span),
    range.high - MIN_CONTRAST_SHARE * span,
  );
  const lowerPart = windowOfRange(range.low, split);
  const upperPart = windowOfRange(split, range.high);
  const [darkPart, brightPart] = options.monochrome1 ? [upperPart, lowerPart] : [lowerPart, upperPart];
  return [
    preset,
    { id: "xray-lung", caption: "Lung contrast", window: darkPart },
    { id: "xray-bone", caption: "Bone contrast", window: brightPart },
  ];
}

/**
 * The image's own window: Window Center/Width as stored, else the range its VOI LUT maps (a
 * linear stand-in for the table), else its pixels' 1st to 99th percentile.
 */
export function ownWindow(
  stored: { center?: number | undefined; width?: number | undefined; lutDescriptor?: readonly number[] },
  range: PixelRange,
): WindowLevel {
  const { center, width, lutDescriptor } = stored;
  if (center !== undefined && width !== undefined && Number.isFinite(center) && width >= 1) {
    return { width, center };
  }
  const [entries, firstMapped] = lutDescriptor ?? [];
  if (entries !== undefined && firstMapped !== undefined && entries > 1) {
    // A descriptor's count of 0 means 65536 entries.
    return windowOfRange(firstMapped, firstMapped + (entries || 65536) - 1);
  }
  return range.high > range.low ? windowOfRange(range.low, range.high) : windowOfRange(range.min, range.max);
}

/**
 * Min, max and 1st/99th percentiles of `pixels` after `value * slope + intercept`, from at most
 * `samples` evenly spaced pixels (a 2000x2000 radiograph needs no more for a window).
 */
export function pixelRange(
  pixels: ArrayLike<number>,
  rescale: { slope: number; intercept: number } = { slope: 1, intercept: 0 },
  samples = 65_536,
): PixelRange {
  const step = Math.max(1, Math.floor(pixels.length / samples));
  const values = new Float64Array(Math.ceil(pixels.length / step));
  let n = 0;
  for (let i = 0; i < pixels.length; i += step) values[n++] = (pixels[i] ?? 0) * rescale.slope + rescale.intercept;
  const sorted = values.subarray(0, n).sort();
  if (n === 0) return { min: 0, max: 0, low: 0, high: 0, median: 0 };
  const at = (fraction: number): number => sorted[Math.min(n - 1, Math.floor(fraction * (n - 1)))] ?? 0;
  return { min: at(0), max: at(1), low: at(0.01), high: at(0.99), median: at(0.5) };
}

/** The window that maps `lower`..`upper` onto the full grey scale. */
export function windowOfRange(lower: number, upper: number): WindowLevel {
  return windowLevelOf({ lower, upper: Math.max(upper, lower + 1) });
}

/**
 * The VOI range of a window, by DICOM's linear function as Cornerstone applies it to an image's
 * own Window Center/Width (PS3.3 C.11.2.1.2.1), so a preset and a stored window read alike.
 */
export function voiRangeOf(window: WindowLevel): VoiRange {
  const half = (window.width - 1) / 2;
  return { lower: window.center - 0.5 - half, upper: window.center - 0.5 + half };
}

export function windowLevelOf(range: VoiRange): WindowLevel {
  return { width: range.upper - range.lower + 1, center: (range.upper + range.lower + 1) / 2 };
}

/** Whether two windows are the same to within display rounding. */
export function sameWindow(a: WindowLevel | undefined, b: WindowLevel | undefined): boolean {
  if (!a || !b) return false;
  const tolerance = Math.max(0.5, Math.abs(b.width) * 1e-4);
  return Math.abs(a.width - b.width) <= tolerance && Math.abs(a.center - b.center) <= tolerance;
}
