import { describe, expect, it } from "vitest";

import type { TurnaroundGroup } from "../api/turnaround";
import {
  chartSeries,
  formatMinutes,
  groupLabel,
  periodFromSearch,
  periodToSearch,
  toMinutes,
} from "./turnaroundFormat";

const stat: TurnaroundGroup = {
  key: "STAT",
  label: "STAT",
  count: 4,
  wait: { median: 90, p90: 300 },
  read: { median: 120, p90: 240 },
  turnaround: { median: 210, p90: 555 },
};
const routine: TurnaroundGroup = {
  key: "ROUTINE",
  label: "Routine",
  count: 0,
  wait: { median: null, p90: null },
  read: { median: null, p90: null },
  turnaround: { median: null, p90: null },
};

describe("minutes", () => {
  it("converts seconds to minutes with one decimal", () => {
    expect(toMinutes(90)).toBe(1.5);
    expect(toMinutes(555)).toBe(9.3);
    expect(toMinutes(null)).toBeNull();
    expect(formatMinutes(600)).toBe("10.0");
    expect(formatMinutes(null)).toBe("—");
  });
});

describe("chartSeries", () => {
  it("gives one series per measure and statistic, a value per group", () => {
    const series = chartSeries([stat, routine]);
    expect(series.map((s) => s.label)).toEqual([
      "Wait median",
      "Wait p90",
      "Read median",
      "Read p90",
      "Turnaround median",
      "Turnaround p90",
    ]);
    expect(series[0]?.data).toEqual([1.5, null]);
    expect(series[5]?.data).toEqual([9.3, null]);
    expect(groupLabel(stat)).toBe("STAT (4)");
  });
});

describe("period in the address bar", () => {
  it("accepts the offered periods only", () => {
    expect(periodFromSearch("?days=30")).toBe(30);
    expect(periodFromSearch("?days=12")).toBe(7);
    expect(periodFromSearch("")).toBe(7);
    expect(periodToSearch(7)).toBe("");
    expect(periodToSearch(90)).toBe("?days=90");
  });
});
