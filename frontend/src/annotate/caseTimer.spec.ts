import { describe, expect, it } from "vitest";

import { CaseTimer } from "./caseTimer";

function memoryStore(): Map<string, string> & { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void } {
  const map = new Map<string, string>();
  return Object.assign(map, {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  });
}

describe("CaseTimer", () => {
  it("counts shown time and leaves out the time the tab was hidden", () => {
    let now = 0;
    const timer = new CaseTimer("c1", () => now);
    timer.resume();
    now = 10_000;
    timer.pause();
    now = 70_000; // a minute hidden
    timer.resume();
    now = 75_000;
    expect(timer.seconds).toBe(15);
  });

  it("continues after a reload from what it stored", () => {
    let now = 0;
    const store = memoryStore();
    const first = new CaseTimer("c1", () => now, store);
    first.resume();
    now = 4_000;
    first.pause();
    const again = new CaseTimer("c1", () => now, store);
    again.resume();
    now = 6_000;
    expect(again.seconds).toBe(6);
    again.forget();
    expect(store.size).toBe(0);
  });
});
