/**
 * Masks as the label store keeps them: row-major run lengths over the image's pixels, starting
 * with a run of 0s (possibly empty), alternating 0s and 1s, adding up to rows*columns. Pure, so
 * the round trip is tested without a browser.
 */

/**
 * The runs of `labelmap` (one label value per pixel, row-major) where the pixel equals `value`;
 * null when no pixel does (no mask to store).
 */
export function encodeRle(labelmap: ArrayLike<number>, value: number): number[] | null {
  const counts: number[] = [];
  let inside = false;
  let run = 0;
  let any = false;
  for (let i = 0; i < labelmap.length; i++) {
    const here = labelmap[i] === value;
    if (here !== inside) {
      counts.push(run);
      run = 0;
      inside = here;
    }
    if (here) any = true;
    run++;
  }
  counts.push(run);
  return any ? counts : null;
}

/**
 * Paint `value` into `labelmap` where the runs say 1; pixels outside the mask keep their value.
 * Throws when the runs do not cover exactly the labelmap (a mask of another image's size).
 */
export function decodeRleInto(counts: readonly number[], labelmap: { length: number; [i: number]: number }, value: number): void {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total !== labelmap.length) {
    throw new RangeError(`The mask covers ${total} pixels; the image has ${labelmap.length}.`);
  }
  let at = 0;
  counts.forEach((count, index) => {
    if (count < 0 || !Number.isInteger(count)) throw new RangeError(`Run ${index} is not a count: ${count}.`);
    if (index % 2 === 1) for (let i = at; i < at + count; i++) labelmap[i] = value;
    at += count;
  });
}

/** How many pixels the runs mark. */
export function rleArea(counts: readonly number[]): number {
  return counts.reduce((sum, count, index) => (index % 2 === 1 ? sum + count : sum), 0);
}
