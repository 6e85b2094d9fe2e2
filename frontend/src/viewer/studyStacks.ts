/**
 * A study's series as stacks of frames: QIDO-RS for the series, WADO-RS metadata for their
 * instances, each instance's DICOM JSON registered with Cornerstone's metadata providers (the
 * WADO-RS loader builds images from it and the frame bytes alone). Kept for a few studies, so a
 * study that was prefetched opens without asking the server again.
 */

import { utilities as metadataUtilities } from "@cornerstonejs/metadata";

import { type DicomJsonDataset, firstString } from "../api/dicomJson";
import { getJson } from "../api/http";
import { DICOMWEB_ROOT, type SeriesSummary, searchSeries } from "../api/qido";
import { type StackFrame, seriesFrames } from "./imageIds";
import { seriesKind } from "./seriesKinds";

export interface SeriesStack {
  series: SeriesSummary;
  frames: StackFrame[];
}

/** A DICOM SEG series: shown over the images it segments, never as images of its own. */
export interface SegmentationSeries {
  series: SeriesSummary;
  instances: DicomJsonDataset[];
}

interface StudySeries {
  stacks: SeriesStack[];
  segmentations: SegmentationSeries[];
}

const SOP_CLASS_UID = "00080016";

/** The studies being read now and next: enough to reopen the last few without refetching. */
const REMEMBERED_STUDIES = 4;
const studies = new Map<string, Promise<StudySeries>>();

/**
 * The study's series that hold images to read, in series order, with their frames in display
 * order. Segmentations, reports, presentation states and key objects are not among them.
 */
export async function loadStudyStacks(studyInstanceUid: string): Promise<SeriesStack[]> {
  return (await loadStudySeries(studyInstanceUid)).stacks;
}

/** The study's DICOM SEG series, with their instances' metadata. */
export async function loadStudySegmentations(studyInstanceUid: string): Promise<SegmentationSeries[]> {
  return (await loadStudySeries(studyInstanceUid)).segmentations;
}

function loadStudySeries(studyInstanceUid: string): Promise<StudySeries> {
  const known = studies.get(studyInstanceUid);
  if (known) {
    // Most recently used last, so the oldest study is the one forgotten.
    studies.delete(studyInstanceUid);
    studies.set(studyInstanceUid, known);
    return known;
  }
  const loading = fetchStacks(studyInstanceUid);
  studies.set(studyInstanceUid, loading);
  // A failure is not remembered: opening the study again tries again.
  loading.catch(() => studies.delete(studyInstanceUid));
  while (studies.size > REMEMBERED_STUDIES) {
    const oldest = studies.keys().next().value;
    if (oldest === undefined) break;
    studies.delete(oldest);
  }
  return loading;
}

async function fetchStacks(studyInstanceUid: string): Promise<StudySeries> {
  // Image ids carry the absolute URL: the loader fetches the frames from its own workers' pool.
  const root = `${window.location.origin}${DICOMWEB_ROOT}`;
  const series = await searchSeries(studyInstanceUid);
  const found: StudySeries = { stacks: [], segmentations: [] };
  const loaded = await Promise.all(
    series.map(async (summary) => {
      const instances = await getJson<DicomJsonDataset[]>(metadataUrl(studyInstanceUid, summary), {
        accept: "application/dicom+json",
        emptyValue: [],
      });
      return { summary, instances };
    }),
  );
  for (const { summary, instances } of loaded) {
    const first = instances[0];
    const kind = seriesKind(summary.modality, first ? firstString(first, SOP_CLASS_UID) : undefined);
    if (kind === "segmentation") {
      if (instances.length) found.segmentations.push({ series: summary, instances });
      continue;
    }
    if (kind !== "image") continue;
    const frames = seriesFrames(root, studyInstanceUid, summary.seriesInstanceUid, instances);
    // Once per instance: the providers find an instance's frames by its base image id.
    for (const frame of frames) if (frame.frameNumber === 1) registerMetadata(frame);
    if (frames.length) found.stacks.push({ series: summary, frames });
  }
  return found;
}

function metadataUrl(studyInstanceUid: string, series: SeriesSummary): string {
  const study = encodeURIComponent(studyInstanceUid);
  return `${DICOMWEB_ROOT}/studies/${study}/series/${encodeURIComponent(series.seriesInstanceUid)}/metadata`;
}

/**
 * Cornerstone 5's typed metadata chain, as the WADO-RS loader's deprecation notice advises: its
 * legacy `wadors.metaDataManager` provider reads only Pixel Spacing, so a radiograph (which has
 * Imager Pixel Spacing) would be measured in pixels instead of millimetres.
 */
function registerMetadata(frame: StackFrame): void {
  void metadataUtilities.addDicomWebInstance(frame.imageId, frame.metadata);
}
