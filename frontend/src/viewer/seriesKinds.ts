/**
 * Which series hold images to read and which hold something else (segmentations, reports,
 * presentation states, key-object notes). Pure.
 */

/** Modalities of series that are not images to read, though some (SEG) carry pixel data. */
const NON_IMAGE_MODALITIES = new Set([
  "SEG", "SR", "PR", "KO", "DOC", "REG", "FID", "RTSTRUCT", "RTPLAN", "RTRECORD", "AU", "ECG",
  "HD", "RWV", "PLAN", "IVOCT_REPORT", "OT_REPORT",
]);

export const SEGMENTATION_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";

/**
 * SOP classes without an image to read: raw data and registrations (66.x, SEG included),
 * structured reports and key objects (88.x), presentation states (11.x), waveforms (9.x),
 * encapsulated documents (104.x), RT structure sets, plans and records (481.3 and up).
 */
const NON_IMAGE_SOP_CLASS_PREFIXES = [
  "1.2.840.10008.5.1.4.1.1.66",
  "1.2.840.10008.5.1.4.1.1.88.",
  "1.2.840.10008.5.1.4.1.1.11.",
  "1.2.840.10008.5.1.4.1.1.9.",
  "1.2.840.10008.5.1.4.1.1.104.",
  "1.2.840.10008.5.1.4.1.1.481.3",
  "1.2.840.10008.5.1.4.1.1.481.4",
  "1.2.840.10008.5.1.4.1.1.481.5",
  "1.2.840.10008.5.1.4.1.1.481.6",
  "1.2.840.10008.5.1.4.1.1.481.7",
  "1.2.840.10008.5.1.4.1.1.481.8",
  "1.2.840.10008.5.1.4.1.1.481.9",
];

export type SeriesKind = "image" | "segmentation" | "other";

export function seriesKind(modality: string, sopClassUid: string | undefined): SeriesKind {
  if (modality.toUpperCase() === "SEG" || sopClassUid === SEGMENTATION_SOP_CLASS) return "segmentation";
  if (NON_IMAGE_MODALITIES.has(modality.toUpperCase())) return "other";
  if (sopClassUid && NON_IMAGE_SOP_CLASS_PREFIXES.some((prefix) => sopClassUid.startsWith(prefix))) {
    return "other";
  }
  return "image";
}
