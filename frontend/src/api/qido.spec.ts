import { describe, expect, it } from "vitest";

import {
  EMPTY_SEARCH,
  parseSeries,
  parseStudy,
  seriesThumbnailUrl,
  sortSeries,
  studySearchParams,
} from "./qido";

describe("studySearchParams", () => {
  it("asks for every field and the requested page when nothing is searched", () => {
    const params = studySearchParams(EMPTY_SEARCH, { offset: 100, limit: 50 });
    expect(params.toString()).toBe("includefield=all&limit=50&offset=100");
  });

  it("appends a wildcard to the patient name and matches the other keys exactly", () => {
    const params = studySearchParams(
      {
        patientName: " doe ",
        patientId: "PAT-1",
        accessionNumber: "ACC 9",
        modality: "ct",
        studyDateFrom: "2024-01-01",
        studyDateTo: "2024-12-31",
      },
      { offset: 0, limit: 50 },
    );
    expect(params.get("PatientName")).toBe("doe*");
    expect(params.get("PatientID")).toBe("PAT-1");
    expect(params.get("AccessionNumber")).toBe("ACC 9");
    expect(params.get("ModalitiesInStudy")).toBe("CT");
    expect(params.get("StudyDate")).toBe("20240101-20241231");
  });

  it("keeps a wildcard the user typed", () => {
    const params = studySearchParams({ ...EMPTY_SEARCH, patientName: "Do*" }, { offset: 0, limit: 50 });
    expect(params.get("PatientName")).toBe("Do*");
  });
});

describe("parsing QIDO-RS results", () => {
  it("reads a study", () => {
    const study = parseStudy({
      "0020000D": { vr: "UI", Value: ["1.2.3"] },
      "00100010": { vr: "PN", Value: [{ Alphabetic: "Doe^Jane" }] },
      "00100020": { vr: "LO", Value: ["PAT-1"] },
      "00080020": { vr: "DA", Value: ["20240131"] },
      "00080061": { vr: "CS", Value: ["CT", "SR"] },
      "00081030": { vr: "LO", Value: ["Chest"] },
      "00080050": { vr: "SH", Value: ["ACC1"] },
      "00201206": { vr: "IS", Value: [2] },
      "00201208": { vr: "IS", Value: [40] },
    });
    expect(study).toEqual({
      studyInstanceUid: "1.2.3",
      patientName: { Alphabetic: "Doe^Jane" },
      patientId: "PAT-1",
      studyDate: "20240131",
      studyTime: "",
      modalities: ["CT", "SR"],
      description: "Chest",
      accessionNumber: "ACC1",
      numberOfSeries: 2,
      numberOfInstances: 40,
    });
  });

  it("reads a series with missing optional attributes", () => {
    expect(parseSeries({ "0020000E": { vr: "UI", Value: ["1.2.3.4"] } })).toEqual({
      seriesInstanceUid: "1.2.3.4",
      modality: "",
      seriesNumber: undefined,
      description: "",
      numberOfInstances: undefined,
    });
  });

  it("orders series by number, unnumbered last", () => {
    const series = [
      { seriesInstanceUid: "c", modality: "", seriesNumber: undefined, description: "", numberOfInstances: 1 },
      { seriesInstanceUid: "b", modality: "", seriesNumber: 2, description: "", numberOfInstances: 1 },
      { seriesInstanceUid: "a", modality: "", seriesNumber: 10, description: "", numberOfInstances: 1 },
    ];
    expect(sortSeries(series).map((item) => item.seriesInstanceUid)).toEqual(["b", "a", "c"]);
  });

  it("builds thumbnail URLs under /dicomweb", () => {
    expect(seriesThumbnailUrl("1.2", "1.2.3")).toBe("/dicomweb/studies/1.2/series/1.2.3/thumbnail");
  });
});
