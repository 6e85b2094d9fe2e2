/**
 * Prefetch the study a reader will most likely open next, so that it shows at once: its
 * metadata, and the decoded images of its first series in Cornerstone's (bounded) image cache.
 */

import { Enums, imageLoader } from "@cornerstonejs/core";

import { cornerstoneReady } from "./cornerstone";
import type { PrefetchProbe } from "./probe";
import { loadStudyStacks } from "./studyStacks";

/**
 * Prefetch requests queue behind whatever the reader is looking at now (the loader's pool serves
 * interaction requests first), and within the prefetch queue behind the viewer's own prefetch.
 */
const PREFETCH = { requestType: Enums.RequestType.Prefetch, priority: 10 };

/** The study's series and metadata, ready for a viewer (which then needs only the pixels). */
export async function prefetchStudyMetadata(studyInstanceUid: string): Promise<void> {
  await cornerstoneReady();
  await loadStudyStacks(studyInstanceUid);
}

export async function prefetchStudy(studyInstanceUid: string): Promise<void> {
  const probe: PrefetchProbe = { studyInstanceUid, done: false };
  window.__prefetch = probe;
  await cornerstoneReady();
  const stacks = await loadStudyStacks(studyInstanceUid);
  const first = stacks[0];
  if (!first) return;
  // One failed image must not stop the others; the viewer reports failures when it shows them.
  await Promise.allSettled(
    first.frames.map((frame) => imageLoader.loadAndCacheImage(frame.imageId, PREFETCH)),
  );
  probe.done = true;
}
