/**
 * `window.__viewer`: what browser tests and benchmarks read of the open viewer (when the first
 * image was on screen, which image is shown, how much decoded image data is cached), so they
 * measure time-to-first-image and memory without scraping pixels.
 */

import { cache } from "@cornerstonejs/core";

export interface ViewerProbe {
  studyInstanceUid: string;
  /** performance.now() when the viewer was mounted. */
  mountedAt: number;
  /** performance.now() when the first image was rendered; null until then. */
  firstImageRenderedAt: number | null;
  /** Resolves with firstImageRenderedAt. */
  firstImage: Promise<number>;
  seriesInstanceUid: string | null;
  imageIndex: number;
  imageCount: number;
  imageId: string | null;
  heatmapVisible: boolean;
  /** Bytes of decoded images in Cornerstone's cache now. */
  readonly cacheBytes: number;
  readonly cacheLimitBytes: number;
}

/** The latest prefetch: which study, and whether its first series is in the cache. */
export interface PrefetchProbe {
  studyInstanceUid: string;
  done: boolean;
}

declare global {
  interface Window {
    __viewer?: ViewerProbe;
    __prefetch?: PrefetchProbe;
  }
}

export function createProbe(studyInstanceUid: string, firstImage: Promise<number>): ViewerProbe {
  const probe: ViewerProbe = {
    studyInstanceUid,
    mountedAt: performance.now(),
    firstImageRenderedAt: null,
    firstImage,
    seriesInstanceUid: null,
    imageIndex: 0,
    imageCount: 0,
    imageId: null,
    heatmapVisible: false,
    get cacheBytes() {
      return cache.getCacheSize();
    },
    get cacheLimitBytes() {
      return cache.getMaxCacheSize();
    },
  };
  window.__viewer = probe;
  return probe;
}

export function removeProbe(probe: ViewerProbe): void {
  if (window.__viewer === probe) delete window.__viewer;
}
