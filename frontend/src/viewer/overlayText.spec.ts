import { describe, expect, it } from "vitest";

import type { Finding } from "../api/reading";
import { findingText, imagePosition, windowText, zoomText } from "./overlayText";

const FINDING: Finding = {
  finding_id: 7,
  series_instance_uid: "se",
  sop_instance_uid: "sop",
  frame_number: 1,
  rows: 256,
  columns: 256,
  applicable: true,
  reason: "",
  probability: 0.873,
  positive: true,
  label: "pneumonia",
  threshold: 0.5,
  model: "chest v3",
  heatmap_url: "/api/findings/7/heatmap",
  heatmap_region: { top: 0, left: 0, side: 256 },
};

describe("overlay text", () => {
  it("counts images from one", () => {
    expect(imagePosition(0, 120)).toBe("Image 1 / 120");
  });

  it("writes the window as width and level", () => {
    expect(windowText({ width: 1500, center: -600 })).toBe("W 1500 L -600");
    expect(windowText(undefined)).toBe("");
  });

  it("writes the zoom factor", () => {
    expect(zoomText(1.2345)).toBe("Zoom 1.23×");
  });

  it("gives the model's score, label and threshold for the image", () => {
    expect(findingText(FINDING)).toBe("AI 0.87 pneumonia (threshold 0.50)");
    // Never a certainty the model does not claim: the worklist's rule, not "AI 100%".
    expect(findingText({ ...FINDING, probability: 0.996 })).toBe("AI >0.99 pneumonia (threshold 0.50)");
  });

  it("says why the model did not score an image", () => {
    const lateral = { ...FINDING, applicable: false, probability: null, reason: "not a frontal view" };
    expect(findingText(lateral)).toBe("AI: not scored (not a frontal view)");
    expect(findingText(undefined)).toBe("AI: no result for this image");
  });
});
