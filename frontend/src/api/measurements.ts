/**
 * Typed client for a reader's own measurements on a study (issue 4 contract, "Measurements"):
 * Cornerstone annotations saved per user, keyed by the annotation's UID.
 */

import { getJson, sendJson } from "./http";

export type MeasurementTool = "Length" | "Angle" | "EllipticalROI" | "RectangleROI";

/** What is stored of a Cornerstone annotation: handles in world coordinates, its label. */
export type MeasurementData = Record<string, unknown>;

export interface MeasurementInput {
  tool: MeasurementTool;
  series_instance_uid: string;
  sop_instance_uid: string;
  frame_number: number;
  data: MeasurementData;
  /** The result in words, as the list shows it: "23.4 mm", "mean 112 HU, area 310 mm²". */
  summary: string;
}

export interface Measurement extends MeasurementInput {
  annotation_uid: string;
  created_at: string;
  updated_at: string;
}

function measurementsUrl(studyInstanceUid: string, annotationUid?: string): string {
  const base = `/api/studies/${encodeURIComponent(studyInstanceUid)}/measurements`;
  return annotationUid ? `${base}/${encodeURIComponent(annotationUid)}` : base;
}

export async function listMeasurements(
  studyInstanceUid: string,
  signal?: AbortSignal,
): Promise<Measurement[]> {
  const page = await getJson<{ results: Measurement[] }>(
    measurementsUrl(studyInstanceUid),
    signal ? { signal } : {},
  );
  return page.results;
}

export function saveMeasurement(
  studyInstanceUid: string,
  annotationUid: string,
  measurement: MeasurementInput,
): Promise<Measurement> {
  return sendJson<Measurement>("PUT", measurementsUrl(studyInstanceUid, annotationUid), measurement);
}

export function deleteMeasurement(studyInstanceUid: string, annotationUid: string): Promise<void> {
  return sendJson<void>("DELETE", measurementsUrl(studyInstanceUid, annotationUid));
}
