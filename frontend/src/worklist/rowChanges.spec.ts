import { describe, expect, it } from "vitest";

import { RecentChanges, rowChanges } from "./rowChanges";

describe("rowChanges", () => {
  it("marks a new study as appeared, not the rows it pushed down", () => {
    const changes = rowChanges(["a", "b", "c"], ["x", "a", "b"]);
    expect([...changes]).toEqual([["x", "appeared"]]);
  });

  it("marks a study that jumped ahead as moved, and only it", () => {
    const changes = rowChanges(["a", "b", "c", "d"], ["c", "a", "b", "d"]);
    expect([...changes]).toEqual([["c", "moved"]]);
  });

  it("marks nothing when a row above left (it was read)", () => {
    expect(rowChanges(["a", "b", "c"], ["b", "c"]).size).toBe(0);
  });

  it("marks nothing for an unchanged page", () => {
    expect(rowChanges(["a", "b"], ["a", "b"]).size).toBe(0);
  });

  it("keeps the longest run in place when several rows move", () => {
    const changes = rowChanges(["a", "b", "c", "d", "e"], ["e", "a", "d", "b", "c"]);
    expect(new Set(changes.keys())).toEqual(new Set(["e", "d"]));
    expect([...changes.values()].every((change) => change === "moved")).toBe(true);
  });
});

describe("RecentChanges", () => {
  it("keeps a change for its window across refreshes, the latest change winning", () => {
    const recent = new RecentChanges(4000);
    recent.add(new Map([["a", "appeared"]]), 1000);
    recent.add(new Map([["b", "moved"]]), 2000);
    expect(recent.active(3000)).toEqual(
      new Map([
        ["a", { change: "appeared", ageMs: 2000 }],
        ["b", { change: "moved", ageMs: 1000 }],
      ]),
    );
    recent.add(new Map([["a", "moved"]]), 3000);
    expect(recent.active(5500)).toEqual(
      new Map([
        ["a", { change: "moved", ageMs: 2500 }],
        ["b", { change: "moved", ageMs: 3500 }],
      ]),
    );
    expect(recent.active(7000)).toEqual(new Map());
  });

  it("forgets everything for a new search", () => {
    const recent = new RecentChanges(4000);
    recent.add(new Map([["a", "appeared"]]), 0);
    recent.clear();
    expect(recent.active(1).size).toBe(0);
  });
});
