import { describe, expect, it } from "vitest";

import {
  formatDicomDate,
  formatDicomTime,
  formatPersonName,
  toDicomDate,
  toDicomDateRange,
} from "./format";

describe("formatPersonName", () => {
  it("shows family name, then given and middle names", () => {
    expect(formatPersonName({ Alphabetic: "Doe^Jane^Q" })).toBe("Doe, Jane Q");
  });

  it("places the prefix before and the suffix after the given names", () => {
    expect(formatPersonName("Doe^John^^Dr^Jr")).toBe("Doe, Dr John Jr");
  });

  it("copes with a family name only, a given name only, and empty components", () => {
    expect(formatPersonName("Anonymous")).toBe("Anonymous");
    expect(formatPersonName("^Jane")).toBe("Jane");
    expect(formatPersonName("Doe^^^^")).toBe("Doe");
    expect(formatPersonName(undefined)).toBe("");
    expect(formatPersonName({})).toBe("");
  });

  it("falls back to the ideographic group when there is no alphabetic one", () => {
    expect(formatPersonName({ Ideographic: "山田^太郎" })).toBe("山田, 太郎");
  });
});

describe("DICOM dates and times", () => {
  it("formats DA as ISO dates", () => {
    expect(formatDicomDate("20240131")).toBe("2024-01-31");
    expect(formatDicomDate("2024.01.31")).toBe("2024-01-31");
  });

  it("leaves invalid or unexpected dates as they came", () => {
    expect(formatDicomDate("20240231")).toBe("20240231");
    expect(formatDicomDate("2024")).toBe("2024");
    expect(formatDicomDate(undefined)).toBe("");
  });

  it("formats TM at any precision", () => {
    expect(formatDicomTime("0930")).toBe("09:30");
    expect(formatDicomTime("093015.123")).toBe("09:30:15");
    expect(formatDicomTime("09")).toBe("09:00");
    expect(formatDicomTime("")).toBe("");
  });

  it("turns date inputs into DA values and QIDO ranges", () => {
    expect(toDicomDate("2024-01-31")).toBe("20240131");
    expect(toDicomDate("")).toBe("");
    expect(toDicomDateRange("2024-01-01", "2024-01-31")).toBe("20240101-20240131");
    expect(toDicomDateRange("2024-01-01", "")).toBe("20240101-");
    expect(toDicomDateRange("", "2024-01-31")).toBe("-20240131");
    expect(toDicomDateRange("2024-01-05", "2024-01-05")).toBe("20240105");
    expect(toDicomDateRange("", "")).toBe("");
  });
});
