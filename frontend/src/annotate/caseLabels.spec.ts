import { describe, expect, it } from "vitest";

import type { PreAnnotation } from "../api/annotate";
import { labelInputs, preAnnotationOutcome, splitStored, toggleClass } from "./caseLabels";

const box = { x: 1, y: 2, width: 3, height: 4 };
const suggestion: PreAnnotation = { class: "b", probability: 0.9, model_version: 3, box };

describe("toggleClass", () => {
  it("replaces the chosen class in a single-label schema", () => {
    expect(toggleClass(["a"], "b", false)).toEqual(["b"]);
  });
  it("adds classes in a multi-label schema", () => {
    expect(toggleClass(["a"], "b", true)).toEqual(["a", "b"]);
  });
  it("clears a class pressed again", () => {
    expect(toggleClass(["a", "b"], "a", true)).toEqual(["b"]);
  });
});

describe("preAnnotationOutcome", () => {
  it("says kept when the suggested class and box are there unchanged", () => {
    expect(preAnnotationOutcome(suggestion, { classes: ["b"], boxes: [{ ...box, class: "r" }], masks: [] })).toBe(
      "kept",
    );
  });
  it("says edited when the box moved", () => {
    const moved = { ...box, x: 2, class: "r" };
    expect(preAnnotationOutcome(suggestion, { classes: ["b"], boxes: [moved], masks: [] })).toBe("edited");
  });
  it("says edited when another class was chosen", () => {
    expect(preAnnotationOutcome(suggestion, { classes: ["a"], boxes: [{ ...box, class: "r" }], masks: [] })).toBe(
      "edited",
    );
  });
  it("says none when the model suggested nothing", () => {
    const nothing = { class: null, probability: null, model_version: null, box: null };
    expect(preAnnotationOutcome(nothing, { classes: ["a"], boxes: [], masks: [] })).toBe("none");
  });
});

describe("labelInputs and splitStored", () => {
  it("round-trip the labels by kind", () => {
    const labels = { classes: ["a"], boxes: [{ ...box, class: "r" }], masks: [{ class: "r", rows: 1, columns: 2, rle: [1, 1] }] };
    const stored = labelInputs(labels).map((label, id) => ({ ...label, id, provenance: {}, updated_at: "" }));
    expect(splitStored(stored)).toEqual(labels);
  });
});
