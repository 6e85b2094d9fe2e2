import { describe, expect, it } from "vitest";

import {
  type Affine,
  type Point2,
  affineFromCorners,
  colouriseHeatmap,
  heatColour,
  indexToWorld,
  regionIndexCorners,
  stepOpacity,
} from "./heatmapMath";

function apply(m: Affine, [x, y]: Point2): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

describe("heatColour", () => {
  it("leaves cold pixels fully transparent and blue", () => {
    expect(heatColour(0)).toEqual([0, 0, 255, 0]);
  });

  it("paints hot pixels opaque red", () => {
    expect(heatColour(255)).toEqual([255, 0, 0, 255]);
  });

  it("passes through green in the middle, half transparent", () => {
    const [r, g, b, a] = heatColour(127.5);
    expect([r, g, b]).toEqual([0, 255, 0]);
    expect(a).toBe(128);
  });

  it("clamps values outside 0..255", () => {
    expect(heatColour(-10)).toEqual(heatColour(0));
    expect(heatColour(300)).toEqual(heatColour(255));
  });
});

describe("colouriseHeatmap", () => {
  it("maps each pixel's grey value through the colour ramp", () => {
    const rgba = new Uint8ClampedArray([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(Array.from(colouriseHeatmap(rgba))).toEqual([0, 0, 255, 0, 255, 0, 0, 255]);
  });
});

describe("heatmap placement", () => {
  it("covers the region's pixels edge to edge, half a pixel off their centres", () => {
    expect(regionIndexCorners({ top: 10, left: 20, side: 100 })).toEqual([
      [19.5, 9.5],
      [119.5, 9.5],
      [19.5, 109.5],
    ]);
  });

  it("places an image index in world space along the row and column directions", () => {
    // An axial slice at z = -100 with 0.7 mm pixels: rows run along +x, columns along +y.
    const geometry = { origin: [-180, -150, -100], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], spacing: [0.7, 0.7, 1] };
    expect(indexToWorld(geometry, [0, 0])).toEqual([-180, -150, -100]);
    expect(indexToWorld(geometry, [10, 20])).toEqual([-173, -136, -100]);
  });

  it("maps the heatmap's corners onto the given canvas corners (zoom and pan)", () => {
    // A 28x28 heatmap drawn over a square from (50, 40) to (330, 320): 10 canvas px a cell.
    const m = affineFromCorners([50, 40], [330, 40], [50, 320], 28, 28);
    expect(m).toEqual([10, 0, 0, 10, 50, 40]);
    expect(apply(m, [28, 28])).toEqual([330, 320]);
  });

  it("follows a rotated, flipped view", () => {
    // Rotated 90 degrees clockwise: the heatmap's x runs down the canvas, its y runs left.
    const m = affineFromCorners([300, 0], [300, 280], [20, 0], 28, 28);
    expect(apply(m, [28, 0])).toEqual([300, 280]);
    expect(apply(m, [0, 28])).toEqual([20, 0]);
    expect(apply(m, [28, 28])).toEqual([20, 280]);
  });
});

describe("stepOpacity", () => {
  it("moves in tenths and stays between 0.1 and 1", () => {
    expect(stepOpacity(0.5, 1)).toBe(0.6);
    expect(stepOpacity(0.6, -1)).toBe(0.5);
    expect(stepOpacity(1, 1)).toBe(1);
    expect(stepOpacity(0.1, -1)).toBe(0.1);
  });
});
