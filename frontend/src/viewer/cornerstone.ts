/**
 * Cornerstone3D set up once per page: core, the DICOM image loader (its decode web workers and
 * WASM codecs are bundled by Vite, nothing is fetched from elsewhere) and the tools the viewers
 * offer (the reading viewer's, and the annotation workspace's boxes, brush and freehand contours). Every viewer waits on `cornerstoneReady()` before it creates a viewport.
 */

import { cache, init as coreInit } from "@cornerstonejs/core";
import { init as dicomImageLoaderInit } from "@cornerstonejs/dicom-image-loader";
import {
  AngleTool,
  BrushTool,
  EllipticalROITool,
  LengthTool,
  PanTool,
  PlanarFreehandROITool,
  RectangleROITool,
  StackScrollTool,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as toolsInit,
} from "@cornerstonejs/tools";

/**
 * Decoded images kept in memory. A reading session opens one study at a time and prefetches
 * the next: 1 GiB holds a few 300-slice CT series (512x512x2 bytes = 0.5 MiB a slice) and
 * keeps a workstation browser tab well under its memory limit. Cornerstone evicts the least
 * recently used images beyond this.
 */
const IMAGE_CACHE_BYTES = 1024 * 1024 * 1024;

const TOOLS = [
  WindowLevelTool,
  PanTool,
  ZoomTool,
  StackScrollTool,
  LengthTool,
  AngleTool,
  EllipticalROITool,
  RectangleROITool,
  BrushTool,
  PlanarFreehandROITool,
];

let ready: Promise<void> | null = null;

export function cornerstoneReady(): Promise<void> {
  ready ??= initialise();
  return ready;
}

async function initialise(): Promise<void> {
  coreInit();
  // Decoding runs in workers; half the cores (at least one) leaves the page responsive.
  const cores = navigator.hardwareConcurrency || 2;
  dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, Math.floor(cores / 2))) });
  toolsInit();
  for (const tool of TOOLS) addTool(tool);
  cache.setMaxCacheSize(IMAGE_CACHE_BYTES);
}
