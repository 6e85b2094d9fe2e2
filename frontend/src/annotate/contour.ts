/**
 * A closed freehand contour made into mask pixels. The workspace stores contours as masks (not as
 * polygons): one kind of region per class means one export (DICOM SEG), one agreement measure
 * (Dice) and one eraser for both brush strokes and contours. Pure.
 */

/** Index coordinates [column, row]: pixel (i, j) has its centre at (i, j). */
export type Point = readonly [number, number, ...number[]];

/**
 * The pixels (row-major indices) whose centres lie inside the polygon (even-odd rule, so a contour
 * that crosses itself leaves its twice-enclosed parts out), within a rows x columns image.
 */
export function pixelsInside(polygon: readonly Point[], rows: number, columns: number): number[] {
  const inside: number[] = [];
  if (polygon.length < 3) return inside;
  const top = Math.max(0, Math.ceil(Math.min(...polygon.map((p) => p[1]))));
  const bottom = Math.min(rows - 1, Math.floor(Math.max(...polygon.map((p) => p[1]))));
  for (let row = top; row <= bottom; row++) {
    const crossings: number[] = [];
    for (let i = 0; i < polygon.length; i++) {
      const a = polygon[i] as Point;
      const b = polygon[(i + 1) % polygon.length] as Point;
      // Half-open in rows, so a vertex on this row is counted once.
      if (a[1] <= row !== b[1] <= row) {
        crossings.push(a[0] + ((row - a[1]) / (b[1] - a[1])) * (b[0] - a[0]));
      }
    }
    crossings.sort((p, q) => p - q);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k] as number));
      const to = Math.min(columns - 1, Math.floor(crossings[k + 1] as number));
      for (let column = from; column <= to; column++) inside.push(row * columns + column);
    }
  }
  return inside;
}
