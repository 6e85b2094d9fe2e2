/**
 * The DICOM JSON model (PS3.18 F.2): datasets keyed by 8-hex-digit tags, each element
 * carrying its VR and an optional Value array. Readers here never throw on odd data: a
 * missing, empty or mistyped element reads as undefined or [].
 */

export interface PersonNameValue {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonElement | undefined>;

/** Tags the archive browser reads, as the upper-case keys DICOM JSON uses. */
export const Tag = {
  AccessionNumber: "00080050",
  Modality: "00080060",
  ModalitiesInStudy: "00080061",
  StudyDate: "00080020",
  StudyTime: "00080030",
  StudyDescription: "00081030",
  SeriesDescription: "0008103E",
  PatientName: "00100010",
  PatientID: "00100020",
  PatientBirthDate: "00100030",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  StudyID: "00200010",
  SeriesNumber: "00200011",
  NumberOfStudyRelatedSeries: "00201206",
  NumberOfStudyRelatedInstances: "00201208",
  NumberOfSeriesRelatedInstances: "00201209",
} as const;

export type TagKey = (typeof Tag)[keyof typeof Tag];

function values(dataset: DicomJsonDataset, tag: string): unknown[] {
  // Servers differ in hex case; the standard says upper case, so try that first.
  const element = dataset[tag] ?? dataset[tag.toLowerCase()];
  return Array.isArray(element?.Value) ? element.Value : [];
}

/** Every string or number value of a text element, as trimmed strings, empties dropped. */
export function stringValues(dataset: DicomJsonDataset, tag: string): string[] {
  const out: string[] = [];
  for (const value of values(dataset, tag)) {
    if (typeof value === "string" || typeof value === "number") {
      const text = String(value).trim();
      if (text) out.push(text);
    }
  }
  return out;
}

export function firstString(dataset: DicomJsonDataset, tag: string): string | undefined {
  return stringValues(dataset, tag)[0];
}

/** The first numeric value (IS and DS may arrive as JSON numbers or as strings). */
export function firstNumber(dataset: DicomJsonDataset, tag: string): number | undefined {
  for (const value of values(dataset, tag)) {
    const number = typeof value === "number" ? value : Number(String(value).trim());
    if (value !== null && String(value).trim() !== "" && Number.isFinite(number)) return number;
  }
  return undefined;
}

/** The first person name of a PN element, as its component groups. */
export function firstPersonName(
  dataset: DicomJsonDataset,
  tag: string,
): PersonNameValue | undefined {
  for (const value of values(dataset, tag)) {
    if (typeof value === "string") return { Alphabetic: value };
    if (value !== null && typeof value === "object") {
      const name: PersonNameValue = {};
      for (const group of ["Alphabetic", "Ideographic", "Phonetic"] as const) {
        const text = (value as Record<string, unknown>)[group];
        if (typeof text === "string") name[group] = text;
      }
      return name;
    }
  }
  return undefined;
}
