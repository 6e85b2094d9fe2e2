/**
 * The arithmetic behind the AI heatmap overlay: its colour map and where on the canvas it goes.
 * Pure, so the placement is tested without a browser.
 */

/** Image pixels the heatmap covers (the square the model saw), from the worklist API. */
export interface HeatmapRegion {
  top: number;
  left: number;
  side: number;
}

export type Point2 = readonly [number, number];

/** Where an image lies in the patient (world) space, as Cornerstone's image data gives it. */
export interface ImageGeometry {
  origin: ArrayLike<number>;
  /** Row-axis direction, then column-axis direction, then the normal (9 numbers). */
  direction: ArrayLike<number>;
  spacing: ArrayLike<number>;
}
/** A canvas 2D transform [a, b, c, d, e, f] as setTransform takes it. */
export type Affine = readonly [number, number, number, number, number, number];

/** Colour stops from cold to hot: blue, cyan, green, yellow, red (a "jet"-like ramp). */
const STOPS: readonly (readonly [number, number, number])[] = [
  [0, 0, 255],
  [0, 255, 255],
  [0, 255, 0],
  [255, 255, 0],
  [255, 0, 0],
];

/**
 * RGBA for a heat value 0..255. Alpha grows with heat so cold areas leave the image untinted
 * and the reader sees anatomy through everything but the hot spots.
 */
export function heatColour(value: number): [number, number, number, number] {
  const v = Math.min(255, Math.max(0, value)) / 255;
  const position = v * (STOPS.length - 1);
  const index = Math.min(STOPS.length - 2, Math.floor(position));
  const t = position - index;
  const from = STOPS[index] ?? STOPS[0]!;
  const to = STOPS[index + 1] ?? from;
  const mix = (k: 0 | 1 | 2) => Math.round(from[k] + (to[k] - from[k]) * t);
  return [mix(0), mix(1), mix(2), Math.round(v * 255)];
}

/** Colour an RGBA buffer of a grey heatmap in place (grey in R; the PNG is 8-bit grey). */
export function colouriseHeatmap(rgba: Uint8ClampedArray): Uint8ClampedArray {
  for (let i = 0; i < rgba.length; i += 4) {
    const [r, g, b, a] = heatColour(rgba[i] ?? 0);
    rgba[i] = r;
    rgba[i + 1] = g;
    rgba[i + 2] = b;
    rgba[i + 3] = a;
  }
  return rgba;
}

/**
 * The region's top-left, top-right and bottom-left corners in image index coordinates
 * (column, row), where index (0, 0) is the centre of the first pixel, as in Cornerstone's
 * image data: pixel edges sit half a pixel off the centres.
 */
export function regionIndexCorners(region: HeatmapRegion): [Point2, Point2, Point2] {
  const left = region.left - 0.5;
  const top = region.top - 0.5;
  return [
    [left, top],
    [left + region.side, top],
    [left, top + region.side],
  ];
}

/**
 * World coordinates of an image index (column, row): the origin plus the row and column axis
 * directions scaled by the pixel spacing.
 */
export function indexToWorld(geometry: ImageGeometry, [column, row]: Point2): [number, number, number] {
  const { origin, direction, spacing } = geometry;
  const along = (axis: number) =>
    (origin[axis] ?? 0) +
    (direction[axis] ?? 0) * (spacing[0] ?? 1) * column +
    (direction[3 + axis] ?? 0) * (spacing[1] ?? 1) * row;
  return [along(0), along(1), along(2)];
}

/**
 * The transform that maps a width x height source (the heatmap's own pixels) onto the canvas
 * parallelogram whose top-left, top-right and bottom-left corners are given. It carries any
 * zoom, pan, rotation or flip the viewport applies to the image.
 */
export function affineFromCorners(
  topLeft: Point2,
  topRight: Point2,
  bottomLeft: Point2,
  width: number,
  height: number,
): Affine {
  return [
    (topRight[0] - topLeft[0]) / width,
    (topRight[1] - topLeft[1]) / width,
    (bottomLeft[0] - topLeft[0]) / height,
    (bottomLeft[1] - topLeft[1]) / height,
    topLeft[0],
    topLeft[1],
  ];
}

/** Opacity after one `[` or `]` press: steps of 0.1, kept within 0.1..1 so it never vanishes. */
export function stepOpacity(opacity: number, direction: 1 | -1): number {
  const next = Math.round((opacity + direction * 0.1) * 10) / 10;
  return Math.min(1, Math.max(0.1, next));
}
