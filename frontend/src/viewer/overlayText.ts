/** The words in the viewport's corners: where in the stack, window, zoom, the AI's score. Pure. */

import type { Finding } from "../api/reading";
import { classDisplayName } from "../api/tasks";
import { formatProbability } from "../worklist/rowFormat";
import type { WindowLevel } from "./windowing";

export function imagePosition(index: number, count: number): string {
  return `Image ${index + 1} / ${count}`;
}

export function windowText(window: WindowLevel | undefined): string {
  if (!window) return "";
  return `W ${Math.round(window.width)} L ${Math.round(window.center)}`;
}

export function zoomText(zoom: number): string {
  return `Zoom ${zoom.toFixed(2)}×`;
}

/** "AI 0.87 pneumonia (threshold 0.50)", written as the worklist and the header write the same
 * calibrated probability; why the model did not judge it, or that it did not. */
export function findingText(finding: Finding | undefined): string {
  if (!finding) return "AI: no result for this image";
  if (!finding.applicable || finding.probability === null) {
    return `AI: not scored${finding.reason ? ` (${finding.reason})` : ""}`;
  }
  const label = finding.label ? ` ${classDisplayName(finding.label)}` : "";
  const threshold =
    finding.threshold === null ? "" : ` (threshold ${formatProbability(finding.threshold)})`;
  return `AI ${formatProbability(finding.probability)}${label}${threshold}`;
}
