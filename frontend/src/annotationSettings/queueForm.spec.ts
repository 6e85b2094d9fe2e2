import { describe, expect, it } from "vitest";

import { minutesText, queueBody, queueDraftFrom } from "./queueForm";

const STORED = { task: "task-a", strategy: "entropy", labels_required: 2, batch_size: 50, lock_seconds: 900 };

describe("the queue settings form", () => {
  it("shows the lock time in minutes and sends it back in seconds", () => {
    const draft = queueDraftFrom(STORED);
    expect(draft.lock_minutes).toBe("15");
    expect(queueBody({ ...draft, lock_minutes: "2.5", labels_required: "3" })).toEqual({
      strategy: "entropy",
      labels_required: 3,
      batch_size: 50,
      lock_seconds: 150,
    });
  });

  it("writes odd lock times with at most two decimals", () => {
    expect(minutesText(10)).toBe("0.17");
    expect(minutesText(3600)).toBe("60");
  });

  it("sends a blank field as typed, for the server to refuse in words", () => {
    const body = queueBody({ ...queueDraftFrom(STORED), batch_size: "", lock_minutes: "" });
    expect(body.batch_size).toBe("");
    expect(body.lock_seconds).toBe("");
  });
});
