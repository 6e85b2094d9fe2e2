import { describe, expect, it } from "vitest";

import { worklistUrl } from "../api/worklist";
import {
  DEFAULT_STATE,
  lastPageOffset,
  pageOffset,
  rangeLabel,
  sameQuery,
  stateFromSearch,
  stateToSearch,
  toQuery,
  withFilters,
} from "./worklistState";

describe("worklist state in the address bar", () => {
  it("round-trips filters, sort and page", () => {
    const state = {
      ...DEFAULT_STATE,
      status: "all" as const,
      modality: "CT",
      ai: "positive" as const,
      priority: "STAT" as const,
      q: "DOE",
      received_from: "2024-01-01",
      received_to: "2024-01-31",
      sort: "-received" as const,
      offset: 100,
    };
    const search = stateToSearch(state);
    expect(search).toBe(
      "?status=all&modality=CT&ai=positive&priority=STAT&q=DOE&received_from=2024-01-01&received_to=2024-01-31&sort=-received&offset=100",
    );
    expect(stateFromSearch(search)).toEqual(state);
  });

  it("leaves the address bare for the default list", () => {
    expect(stateToSearch(DEFAULT_STATE)).toBe("");
    expect(stateFromSearch("")).toEqual(DEFAULT_STATE);
  });

  it("falls back to the defaults for values the server would refuse", () => {
    const state = stateFromSearch(
      "?status=lost&ai=maybe&priority=urgent&sort=name&received_from=yesterday&offset=-3",
    );
    expect(state).toEqual(DEFAULT_STATE);
  });

  it("reads a lower-case priority and snaps an offset to its page", () => {
    const state = stateFromSearch("?priority=stat&offset=73");
    expect(state.priority).toBe("STAT");
    expect(state.offset).toBe(50);
  });

  it("asks the server for a page of 50 with the same names", () => {
    const url = worklistUrl(toQuery({ ...DEFAULT_STATE, q: "12345", offset: 50 }));
    expect(url).toBe("/api/worklist?status=waiting&q=12345&sort=priority&offset=50&limit=50");
  });

  it("goes back to the first page when a filter or the sort changes", () => {
    const state = { ...DEFAULT_STATE, offset: 150 };
    expect(withFilters(state, { modality: "DX" })).toEqual({ ...DEFAULT_STATE, modality: "DX" });
    expect(withFilters(state, { sort: "received" }).offset).toBe(0);
  });

  it("tells a refresh of the same list from a new search", () => {
    expect(sameQuery(DEFAULT_STATE, { ...DEFAULT_STATE })).toBe(true);
    expect(sameQuery(DEFAULT_STATE, { ...DEFAULT_STATE, offset: 50 })).toBe(false);
  });
});

describe("paging", () => {
  it("moves a page at a time inside the list", () => {
    expect(pageOffset(0, 1, 100_000)).toBe(50);
    expect(pageOffset(50, -1, 100_000)).toBe(0);
    expect(pageOffset(0, -1, 100_000)).toBeNull();
    expect(pageOffset(99_950, 1, 100_000)).toBeNull();
    expect(pageOffset(0, 1, 50)).toBeNull();
    expect(pageOffset(0, 1, 51)).toBe(50);
  });

  it("finds the last page", () => {
    expect(lastPageOffset(0)).toBe(0);
    expect(lastPageOffset(50)).toBe(0);
    expect(lastPageOffset(101)).toBe(100);
  });

  it("says which rows are shown, of how many", () => {
    expect(rangeLabel(0, 50, 100_000)).toBe("Studies 1–50 of 100,000");
    expect(rangeLabel(99_950, 50, 100_000)).toBe("Studies 99,951–100,000 of 100,000");
    expect(rangeLabel(0, 0, 0)).toBe("No studies");
  });
});
