import { describe, expect, it } from "vitest";

import { decodeRleInto, encodeRle, rleArea } from "./rle";

describe("encodeRle", () => {
  it("starts with a run of 0s even when the first pixel is in the mask", () => {
    expect(encodeRle([1, 1, 0, 0, 0, 1], 1)).toEqual([0, 2, 3, 1]);
  });

  it("counts only pixels of the asked value, so masks of other classes are 0s", () => {
    expect(encodeRle([2, 1, 1, 2, 0], 1)).toEqual([1, 2, 2]);
  });

  it("adds up to the number of pixels", () => {
    const labelmap = Uint8Array.from({ length: 64 }, (_, i) => (i % 7 < 3 ? 1 : 0));
    const counts = encodeRle(labelmap, 1) ?? [];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(64);
  });

  it("gives null for a class with no pixel", () => {
    expect(encodeRle([0, 0, 2], 1)).toBeNull();
  });
});

describe("decodeRleInto", () => {
  it("round-trips a labelmap's class", () => {
    const labelmap = Uint8Array.from([0, 1, 1, 0, 1, 0, 0, 1, 1]);
    const counts = encodeRle(labelmap, 1) ?? [];
    const painted = new Uint8Array(9);
    decodeRleInto(counts, painted, 1);
    expect(Array.from(painted)).toEqual(Array.from(labelmap));
    expect(rleArea(counts)).toBe(5);
  });

  it("keeps other classes' pixels and paints its own value", () => {
    const labelmap = Uint8Array.from([2, 2, 0, 0]);
    decodeRleInto([2, 2], labelmap, 3);
    expect(Array.from(labelmap)).toEqual([2, 2, 3, 3]);
  });

  it("refuses runs that do not cover the image exactly", () => {
    expect(() => decodeRleInto([1, 2], new Uint8Array(4), 1)).toThrow(/covers 3 pixels; the image has 4/);
  });
});
