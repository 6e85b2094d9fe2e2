import { describe, expect, it } from "vitest";

import {
  NO_FILTERS,
  csvUrl,
  eventsUrl,
  filtersFromQuery,
  filtersToQuery,
  fromLocalInput,
  isUnfiltered,
  toLocalInput,
} from "./filters";

const UID = "1.2.826.0.1.3680043.8.498.12345";

describe("filters in the address bar", () => {
  it("writes only the filters that are set, in a fixed order", () => {
    const query = filtersToQuery({ ...NO_FILTERS, study: UID, user: "reviewer-user", outcome: "0" });
    expect(query).toBe(`?user=reviewer-user&study=${UID}&outcome=0`);
  });

  it("writes nothing for no filters, or filters of blanks", () => {
    expect(filtersToQuery(NO_FILTERS)).toBe("");
    expect(filtersToQuery({ ...NO_FILTERS, user: "  " })).toBe("");
    expect(isUnfiltered({ ...NO_FILTERS, patient: " " })).toBe(true);
    expect(isUnfiltered({ ...NO_FILTERS, event: "110110" })).toBe(false);
  });

  it("reads back what it wrote (a bookmarked view opens the same filters)", () => {
    const filters = {
      user: "dr o'neil",
      patient: "Doe^Jane & co",
      study: UID,
      event: "110103",
      outcome: "4",
      since: "2026-11-30T04:00:00Z",
      until: "2026-11-30T05:30:00Z",
    };
    expect(filtersFromQuery(filtersToQuery(filters))).toEqual(filters);
  });

  it("ignores unknown keys and trims values", () => {
    expect(filtersFromQuery("?user=%20admin%20&page=3&cursor=abc")).toEqual({ ...NO_FILTERS, user: "admin" });
    expect(filtersFromQuery("")).toEqual(NO_FILTERS);
  });
});

describe("API addresses", () => {
  it("asks for a page with the filters, the cursor and the page size", () => {
    const url = eventsUrl({ ...NO_FILTERS, patient: "PID-1" }, "cD0yMDI2", 50);
    expect(url).toBe("/api/audit/events?patient=PID-1&cursor=cD0yMDI2&limit=50");
    expect(eventsUrl(NO_FILTERS, null, 50)).toBe("/api/audit/events?limit=50");
  });

  it("downloads the CSV with the same filters and no cursor", () => {
    expect(csvUrl({ ...NO_FILTERS, user: "reviewer-user", study: UID })).toBe(
      `/api/audit/events.csv?user=reviewer-user&study=${UID}`,
    );
    expect(csvUrl(NO_FILTERS)).toBe("/api/audit/events.csv");
  });
});

describe("date-time inputs", () => {
  it("turns a local date-time into the instant it names, and back", () => {
    const iso = fromLocalInput("2026-11-30T09:15");
    expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
    expect(new Date(iso).getTime()).toBe(new Date(2026, 10, 30, 9, 15).getTime());
    expect(toLocalInput(iso)).toBe("2026-11-30T09:15");
  });

  it("shows an instant from the address bar in local time", () => {
    const instant = new Date(Date.UTC(2026, 0, 2, 3, 4));
    const local = toLocalInput("2026-01-02T03:04:00Z");
    expect(new Date(local).getTime()).toBe(instant.getTime());
  });

  it("leaves out what is not a date-time", () => {
    expect(fromLocalInput("")).toBe("");
    expect(fromLocalInput("yesterday")).toBe("");
    expect(fromLocalInput("2026-13-45T99:99")).toBe("");
    expect(toLocalInput("not a date")).toBe("");
    expect(toLocalInput("")).toBe("");
  });
});
