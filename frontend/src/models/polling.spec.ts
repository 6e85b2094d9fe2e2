import { describe, expect, it } from "vitest";

import { candidateToShow, endedRuns, shouldPoll } from "./polling";

describe("polling the runs", () => {
  it("goes on while a run is queued or running and stops when all have ended", () => {
    expect(shouldPoll([{ status: "succeeded" }, { status: "queued" }])).toBe(true);
    expect(shouldPoll([{ status: "running" }])).toBe(true);
    expect(shouldPoll([{ status: "succeeded" }, { status: "failed" }, { status: "cancelled" }])).toBe(false);
    expect(shouldPoll([])).toBe(false);
  });

  it("notices runs that ended between two looks", () => {
    const before = [
      { id: 8, status: "queued" as const },
      { id: 7, status: "running" as const },
      { id: 6, status: "failed" as const },
    ];
    const after = [
      { id: 8, status: "running" as const },
      { id: 7, status: "succeeded" as const },
      { id: 6, status: "failed" as const },
    ];
    expect(endedRuns(before, after)).toEqual([7]);
    expect(endedRuns(after, after)).toEqual([]);
  });

  it("shows the newest run's candidate", () => {
    const runs = [{ candidate: null }, { candidate: { id: 5, version: 3 } }, { candidate: { id: 4, version: 2 } }];
    expect(candidateToShow(runs)).toBe(5);
    expect(candidateToShow([{ candidate: null }])).toBeNull();
  });
});
