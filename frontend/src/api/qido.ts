/** A typed QIDO-RS client for the archive's /dicomweb endpoints (PS3.18 10.6). */

import {
  type DicomJsonDataset,
  type PersonNameValue,
  Tag,
  firstNumber,
  firstPersonName,
  firstString,
  stringValues,
} from "./dicomJson";
import { toDicomDateRange } from "./format";
import { getJson, getJsonResponse } from "./http";

export const DICOMWEB_ROOT = "/dicomweb";
const DICOM_JSON = "application/dicom+json";
const COUNT_PREFERENCE = "count=exact";

export interface StudySearch {
  patientName: string;
  patientId: string;
  accessionNumber: string;
  modality: string;
  /** ISO dates from <input type="date">; either may be "". */
  studyDateFrom: string;
  studyDateTo: string;
}

export const EMPTY_SEARCH: StudySearch = {
  patientName: "",
  patientId: "",
  accessionNumber: "",
  modality: "",
  studyDateFrom: "",
  studyDateTo: "",
};

export interface StudySummary {
  studyInstanceUid: string;
  patientName: PersonNameValue | undefined;
  patientId: string;
  studyDate: string;
  studyTime: string;
  modalities: string[];
  description: string;
  accessionNumber: string;
  numberOfSeries: number | undefined;
  numberOfInstances: number | undefined;
}

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | undefined;
  description: string;
  numberOfInstances: number | undefined;
}

/**
 * Query parameters for a study search. The patient name gets a trailing "*" (QIDO wildcard) so
 * "smi" finds "Smith^John"; the other keys match exactly, as QIDO-RS defines them.
 */
export function studySearchParams(
  search: StudySearch,
  page: { offset: number; limit: number },
): URLSearchParams {
  const params = new URLSearchParams({ includefield: "all" });
  const name = search.patientName.trim();
  if (name) params.set("PatientName", name.endsWith("*") ? name : `${name}*`);
  const exact: [string, string][] = [
    ["PatientID", search.patientId],
    ["AccessionNumber", search.accessionNumber],
    ["ModalitiesInStudy", search.modality.toUpperCase()],
  ];
  for (const [key, value] of exact) {
    if (value.trim()) params.set(key, value.trim());
  }
  const dates = toDicomDateRange(search.studyDateFrom, search.studyDateTo);
  if (dates) params.set("StudyDate", dates);
  params.set("limit", String(page.limit));
  params.set("offset", String(page.offset));
  return params;
}

export function parseStudy(dataset: DicomJsonDataset): StudySummary {
  return {
    studyInstanceUid: firstString(dataset, Tag.StudyInstanceUID) ?? "",
    patientName: firstPersonName(dataset, Tag.PatientName),
    patientId: firstString(dataset, Tag.PatientID) ?? "",
    studyDate: firstString(dataset, Tag.StudyDate) ?? "",
    studyTime: firstString(dataset, Tag.StudyTime) ?? "",
    modalities: stringValues(dataset, Tag.ModalitiesInStudy),
    description: firstString(dataset, Tag.StudyDescription) ?? "",
    accessionNumber: firstString(dataset, Tag.AccessionNumber) ?? "",
    numberOfSeries: firstNumber(dataset, Tag.NumberOfStudyRelatedSeries),
    numberOfInstances: firstNumber(dataset, Tag.NumberOfStudyRelatedInstances),
  };
}

export function parseSeries(dataset: DicomJsonDataset): SeriesSummary {
  return {
    seriesInstanceUid: firstString(dataset, Tag.SeriesInstanceUID) ?? "",
    modality: firstString(dataset, Tag.Modality) ?? "",
    seriesNumber: firstNumber(dataset, Tag.SeriesNumber),
    description: firstString(dataset, Tag.SeriesDescription) ?? "",
    numberOfInstances: firstNumber(dataset, Tag.NumberOfSeriesRelatedInstances),
  };
}

/** Series in acquisition order: by series number, unnumbered last, then by UID for stability. */
export function sortSeries(series: SeriesSummary[]): SeriesSummary[] {
  return [...series].sort(
    (a, b) =>
      (a.seriesNumber ?? Number.POSITIVE_INFINITY) - (b.seriesNumber ?? Number.POSITIVE_INFINITY) ||
      a.seriesInstanceUid.localeCompare(b.seriesInstanceUid),
  );
}

/** One page of a study search, with the number of studies the whole search matches. */
export interface StudyPage {
  studies: StudySummary[];
  /** From the archive's X-Total-Count; undefined when a server does not send it. */
  total: number | undefined;
}

/** The total a QIDO-RS answer carries in X-Total-Count, if it carries one. */
export function totalFrom(headers: Headers): number | undefined {
  const value = headers.get("X-Total-Count");
  const total = value === null ? Number.NaN : Number(value);
  return Number.isInteger(total) && total >= 0 ? total : undefined;
}

export async function searchStudies(
  search: StudySearch,
  page: { offset: number; limit: number },
  signal?: AbortSignal,
): Promise<StudyPage> {
  const url = `${DICOMWEB_ROOT}/studies?${studySearchParams(search, page).toString()}`;
  const { body, headers } = await getJsonResponse<DicomJsonDataset[]>(url, {
    accept: DICOM_JSON,
    emptyValue: [],
    // Our archive counts the matches only when asked (QIDO-RS itself has no total).
    headers: { Prefer: COUNT_PREFERENCE },
    ...(signal ? { signal } : {}),
  });
  return { studies: body.map(parseStudy), total: totalFrom(headers) };
}

export async function searchSeries(
  studyInstanceUid: string,
  signal?: AbortSignal,
): Promise<SeriesSummary[]> {
  const url = `${DICOMWEB_ROOT}/studies/${encodeURIComponent(studyInstanceUid)}/series?includefield=all`;
  const datasets = await getJson<DicomJsonDataset[]>(url, {
    accept: DICOM_JSON,
    emptyValue: [],
    ...(signal ? { signal } : {}),
  });
  return sortSeries(datasets.map(parseSeries));
}

export function seriesThumbnailUrl(studyInstanceUid: string, seriesInstanceUid: string): string {
  const study = encodeURIComponent(studyInstanceUid);
  const series = encodeURIComponent(seriesInstanceUid);
  return `${DICOMWEB_ROOT}/studies/${study}/series/${series}/thumbnail`;
}
