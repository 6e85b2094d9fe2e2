/**
 * Boxes between Cornerstone's RectangleROI annotations and the label store. A RectangleROI keeps
 * its corners as image index coordinates, where pixel (i, j) has its centre at (i, j); the store
 * keeps a box in pixels with edges on the pixel grid: x from 0 (the left edge of column 0) to
 * `columns` (the right edge of the last). Pure.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ImageSize {
  rows: number;
  columns: number;
}

/** Index coordinates [column, row] of two or more corners. */
export type IndexPoint = readonly [number, number, ...number[]];

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * The box drawn by `corners` (index coordinates), cut to the image and its edges rounded to whole
 * pixels; null when nothing of it lies inside the image.
 */
export function boxFromCorners(corners: readonly IndexPoint[], size: ImageSize): Box | null {
  if (corners.length < 2) return null;
  const columns = corners.map((point) => point[0] + 0.5);
  const rows = corners.map((point) => point[1] + 0.5);
  const left = Math.round(clamp(Math.min(...columns), 0, size.columns));
  const right = Math.round(clamp(Math.max(...columns), 0, size.columns));
  const top = Math.round(clamp(Math.min(...rows), 0, size.rows));
  const bottom = Math.round(clamp(Math.max(...rows), 0, size.rows));
  if (right - left < 1 || bottom - top < 1) return null;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The four corners of a stored box in index coordinates, in RectangleROI's order: top left, top
 * right, bottom left, bottom right.
 */
export function cornersOfBox(box: Box): [number, number][] {
  const left = box.x - 0.5;
  const top = box.y - 0.5;
  const right = box.x + box.width - 0.5;
  const bottom = box.y + box.height - 0.5;
  return [
    [left, top],
    [right, top],
    [left, bottom],
    [right, bottom],
  ];
}

export function sameBox(a: Box | null | undefined, b: Box | null | undefined): boolean {
  if (!a || !b) return false;
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}
