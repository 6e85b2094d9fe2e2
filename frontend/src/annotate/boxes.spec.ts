import { describe, expect, it } from "vitest";

import { boxFromCorners, cornersOfBox, sameBox } from "./boxes";

const size = { rows: 100, columns: 80 };

describe("boxFromCorners", () => {
  it("takes pixel (i, j)'s centre at index (i, j), so its left edge is at i - 0.5", () => {
    expect(boxFromCorners([[9.5, 19.5], [29.5, 39.5]], size)).toEqual({ x: 10, y: 20, width: 20, height: 20 });
  });

  it("rounds the edges to the nearest pixel edge", () => {
    expect(boxFromCorners([[9.8, 19.2], [29.1, 39.7]], size)).toEqual({ x: 10, y: 20, width: 20, height: 20 });
  });

  it("reads corners drawn from bottom right to top left the same way", () => {
    expect(boxFromCorners([[29.5, 39.5], [9.5, 19.5]], size)).toEqual({ x: 10, y: 20, width: 20, height: 20 });
  });

  it("cuts a box dragged past the image's edge to the image", () => {
    expect(boxFromCorners([[-30, -5], [200, 50]], size)).toEqual({ x: 0, y: 0, width: 80, height: 51 });
  });

  it("gives null for a box wholly outside the image or thinner than a pixel", () => {
    expect(boxFromCorners([[-30, -5], [-10, 50]], size)).toBeNull();
    expect(boxFromCorners([[10, 10], [10.2, 30]], size)).toBeNull();
  });
});

describe("cornersOfBox", () => {
  it("round-trips a stored box through RectangleROI's corners", () => {
    const box = { x: 5, y: 7, width: 12, height: 30 };
    const corners = cornersOfBox(box);
    expect(corners).toHaveLength(4);
    expect(boxFromCorners(corners, size)).toEqual(box);
    expect(sameBox(boxFromCorners(corners, size), box)).toBe(true);
  });
});
