import { describe, expect, it } from "vitest";

import { pixelsInside } from "./contour";

describe("pixelsInside", () => {
  it("fills the pixels whose centres a square encloses", () => {
    const square = [[0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5]] as const;
    // Columns 1 and 2 of rows 1 and 2 in a 4x4 image.
    expect(pixelsInside(square, 4, 4)).toEqual([5, 6, 9, 10]);
  });

  it("stays inside the image when the contour runs past it", () => {
    const big = [[-5, -5], [10, -5], [10, 10], [-5, 10]] as const;
    expect(pixelsInside(big, 2, 3)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("leaves the hole of a self-crossing contour out (even-odd)", () => {
    const triangle = [[0, 0], [8, 0], [0, 8]] as const;
    const filled = pixelsInside(triangle, 10, 10);
    expect(filled).toContain(0);
    expect(filled).not.toContain(9 * 10 + 9);
  });

  it("fills nothing for fewer than three points", () => {
    expect(pixelsInside([[0, 0], [3, 3]], 4, 4)).toEqual([]);
  });
});
