import { describe, expect, it } from "vitest";

import { ariaSort, nextSort } from "./sorting";

describe("column sorting", () => {
  it("starts the waiting column with the longest waiting study and toggles", () => {
    expect(nextSort("waiting", "priority")).toBe("received");
    expect(nextSort("waiting", "received")).toBe("-received");
    expect(nextSort("waiting", "-received")).toBe("received");
  });

  it("starts the AI column with the highest probability", () => {
    expect(nextSort("ai", "priority")).toBe("-probability");
    expect(nextSort("ai", "-probability")).toBe("probability");
  });

  it("keeps a one-way column on its sort", () => {
    expect(nextSort("modality", "modality")).toBe("modality");
    expect(nextSort("priority", "received")).toBe("priority");
  });

  it("describes the shown values' direction to assistive technology", () => {
    expect(ariaSort("waiting", "received")).toBe("descending");
    expect(ariaSort("waiting", "-received")).toBe("ascending");
    expect(ariaSort("studyDate", "-study_date")).toBe("descending");
    expect(ariaSort("priority", "priority")).toBe("other");
    expect(ariaSort("ai", "priority")).toBe("none");
  });
});
