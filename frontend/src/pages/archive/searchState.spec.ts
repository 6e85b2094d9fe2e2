import { describe, expect, it } from "vitest";

import { EMPTY_SEARCH } from "../../api/qido";
import { hasNextPage, pageLabel, stateFromQuery, stateToQuery } from "./searchState";

describe("search state in the address bar", () => {
  it("round-trips a search and page", () => {
    const state = {
      search: { ...EMPTY_SEARCH, patientName: "Doe", modality: "CT", studyDateFrom: "2024-01-01" },
      offset: 50,
    };
    const query = stateToQuery(state);
    expect(query).toBe("?name=Doe&mod=CT&from=2024-01-01&offset=50");
    expect(stateFromQuery(query)).toEqual(state);
  });

  it("leaves the address bare for the first page of everything", () => {
    expect(stateToQuery({ search: EMPTY_SEARCH, offset: 0 })).toBe("");
  });

  it("ignores a nonsense offset", () => {
    expect(stateFromQuery("?offset=-5").offset).toBe(0);
    expect(stateFromQuery("?offset=abc").offset).toBe(0);
  });
});

describe("pageLabel", () => {
  it("numbers the rows of the page", () => {
    expect(pageLabel(0, 50)).toBe("Studies 1–50");
    expect(pageLabel(50, 3)).toBe("Studies 51–53");
    expect(pageLabel(0, 0)).toBe("");
    expect(pageLabel(50, 0)).toBe("No more studies");
  });
});

describe("pageLabel with the archive's total", () => {
  it("says where the page lies in the whole search", () => {
    expect(pageLabel(0, 3, 3)).toBe("Studies 1–3 of 3");
    expect(pageLabel(1000, 50, 1234)).toBe("Studies 1,001–1,050 of 1,234");
    expect(pageLabel(0, 0, 0)).toBe("");
    expect(pageLabel(50, 0, 12)).toBe("No more studies (12 in all)");
  });
});

describe("hasNextPage", () => {
  it("trusts the total when there is one", () => {
    expect(hasNextPage(0, 50, 50, 50)).toBe(false);
    expect(hasNextPage(0, 50, 50, 51)).toBe(true);
  });

  it("guesses from a full page without one", () => {
    expect(hasNextPage(0, 50, 50)).toBe(true);
    expect(hasNextPage(0, 49, 50)).toBe(false);
  });
});
