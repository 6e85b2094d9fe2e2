import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { RefreshScheduler } from "./refreshScheduler";

/** A load whose requests finish when the test says so. */
function controlledLoad() {
  const requests: { signal: AbortSignal; finish: () => void }[] = [];
  const load = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      requests.push({ signal, finish: resolve });
    });
  return { load, requests };
}

describe("RefreshScheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("coalesces a burst of changes into one request after the delay", () => {
    const { load, requests } = controlledLoad();
    const scheduler = new RefreshScheduler(load, 150);
    scheduler.soon();
    vi.advanceTimersByTime(100);
    scheduler.soon();
    scheduler.soon();
    expect(requests).toHaveLength(0);
    vi.advanceTimersByTime(50);
    expect(requests).toHaveLength(1);
  });

  it("keeps one request in flight and asks once more for changes during it", async () => {
    const { load, requests } = controlledLoad();
    const scheduler = new RefreshScheduler(load, 150);
    scheduler.now();
    scheduler.soon();
    vi.advanceTimersByTime(150);
    scheduler.soon();
    vi.advanceTimersByTime(150);
    expect(requests).toHaveLength(1);
    requests[0]?.finish();
    await vi.runAllTimersAsync();
    expect(requests).toHaveLength(2);
    requests[1]?.finish();
    await vi.runAllTimersAsync();
    expect(requests).toHaveLength(2);
  });

  it("aborts a stale request when the user asks for other rows", () => {
    const { load, requests } = controlledLoad();
    const scheduler = new RefreshScheduler(load, 150);
    scheduler.now();
    scheduler.now();
    expect(requests).toHaveLength(2);
    expect(requests[0]?.signal.aborted).toBe(true);
    expect(requests[1]?.signal.aborted).toBe(false);
  });

  it("goes on after a failed request", async () => {
    let calls = 0;
    const scheduler = new RefreshScheduler(() => {
      calls += 1;
      return Promise.reject(new Error("offline"));
    }, 150);
    scheduler.now();
    await vi.runAllTimersAsync();
    scheduler.soon();
    await vi.runAllTimersAsync();
    expect(calls).toBe(2);
  });

  it("does nothing more once cancelled", async () => {
    const { load, requests } = controlledLoad();
    const scheduler = new RefreshScheduler(load, 150);
    scheduler.soon();
    scheduler.cancel();
    await vi.runAllTimersAsync();
    expect(requests).toHaveLength(0);
  });
});
