import { describe, expect, it } from "vitest";

import { SEGMENTATION_SOP_CLASS, seriesKind } from "./seriesKinds";

describe("series kinds", () => {
  it("reads CT, CR and MR series as images", () => {
    expect(seriesKind("CT", "1.2.840.10008.5.1.4.1.1.2")).toBe("image");
    expect(seriesKind("CR", "1.2.840.10008.5.1.4.1.1.1")).toBe("image");
    expect(seriesKind("MR", undefined)).toBe("image");
  });

  it("knows a segmentation by its modality or its SOP class", () => {
    expect(seriesKind("SEG", undefined)).toBe("segmentation");
    expect(seriesKind("OT", SEGMENTATION_SOP_CLASS)).toBe("segmentation");
  });

  it("leaves reports, presentation states and key objects out of the images", () => {
    for (const modality of ["SR", "PR", "KO", "RTSTRUCT"]) expect(seriesKind(modality, undefined)).toBe("other");
    expect(seriesKind("OT", "1.2.840.10008.5.1.4.1.1.88.22")).toBe("other"); // Enhanced SR
    expect(seriesKind("OT", "1.2.840.10008.5.1.4.1.1.11.1")).toBe("other"); // Grayscale PR
    expect(seriesKind("OT", "1.2.840.10008.5.1.4.1.1.104.1")).toBe("other"); // encapsulated PDF
  });
});
