import { describe, expect, it } from "vitest";

import { Tag, firstNumber, firstPersonName, firstString, stringValues } from "./dicomJson";

describe("DICOM JSON readers", () => {
  const dataset = {
    "00100020": { vr: "LO", Value: [" PAT-1 "] },
    "00080061": { vr: "CS", Value: ["CT", "", "SR"] },
    "00201208": { vr: "IS", Value: ["12"] },
    "00201206": { vr: "IS", Value: [3] },
    "00100010": { vr: "PN", Value: [{ Alphabetic: "Doe^Jane" }] },
    "00081030": { vr: "LO" },
    "0020000e": { vr: "UI", Value: ["1.2.3"] },
  };

  it("reads the first string, trimmed", () => {
    expect(firstString(dataset, Tag.PatientID)).toBe("PAT-1");
  });

  it("reads every value of a multi-valued element and drops empty ones", () => {
    expect(stringValues(dataset, Tag.ModalitiesInStudy)).toEqual(["CT", "SR"]);
  });

  it("reads IS values given as strings or numbers", () => {
    expect(firstNumber(dataset, Tag.NumberOfStudyRelatedInstances)).toBe(12);
    expect(firstNumber(dataset, Tag.NumberOfStudyRelatedSeries)).toBe(3);
  });

  it("treats absent elements and elements without a Value as empty", () => {
    expect(firstString(dataset, Tag.StudyDescription)).toBeUndefined();
    expect(firstString(dataset, Tag.AccessionNumber)).toBeUndefined();
    expect(stringValues(dataset, Tag.StudyDate)).toEqual([]);
    expect(firstNumber(dataset, Tag.NumberOfSeriesRelatedInstances)).toBeUndefined();
  });

  it("accepts lower-case tag keys from lenient servers", () => {
    expect(firstString(dataset, Tag.SeriesInstanceUID)).toBe("1.2.3");
  });

  it("reads person names as component groups", () => {
    expect(firstPersonName(dataset, Tag.PatientName)).toEqual({ Alphabetic: "Doe^Jane" });
    expect(firstPersonName({ "00100010": { vr: "PN", Value: ["Roe^R"] } }, Tag.PatientName)).toEqual({
      Alphabetic: "Roe^R",
    });
    expect(firstPersonName({ "00100010": { vr: "PN", Value: [null] } }, Tag.PatientName)).toBeUndefined();
  });

  it("ignores values of the wrong type instead of throwing", () => {
    const odd = { "00100020": { vr: "LO", Value: [{ nested: true }, null] } };
    expect(firstString(odd, Tag.PatientID)).toBeUndefined();
    expect(firstNumber({ "00201208": { vr: "IS", Value: ["x", ""] } }, Tag.NumberOfStudyRelatedInstances)).toBeUndefined();
  });
});
