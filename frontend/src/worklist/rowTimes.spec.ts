import { describe, expect, it } from "vitest";

import type { WorklistRow } from "../api/worklist";
import panelSource from "./detailsPanel.ts?raw";
import {
  type ListClock,
  TIME_REASONS,
  formatDuration,
  placementReasons,
  rowTimes,
  timeReasons,
} from "./rowFormat";
import tableSource from "./worklistTable.ts?raw";
import { worklistRow } from "./worklistRow.fixture";

const PLACE = [
  "Clinical priority routine (no priority in the request): max wait 40 min",
  "AI flags pneumonia: probability 0.97, at or above threshold 0.74 (chest v2); target wait 4 min",
];

// The server's now when it answered: 10:14:36 (the study arrived at 10:00:00, due 10:51:16).
const SERVER_NOW = Date.parse("2024-04-17T10:14:36Z");

function row(change: Partial<WorklistRow> = {}): WorklistRow {
  return worklistRow({
    waiting_seconds: 14 * 60 + 36,
    due_at: "2024-04-17T10:51:16Z",
    ai: {
      status: "positive",
      note: "",
      probability: 0.97,
      positive: true,
      label: "pneumonia",
      threshold: 0.74,
      model: "chest v2",
    },
    // What the server sends: its placement reasons, then its two lines at its own now.
    reasons: [...PLACE, "Waiting 14 min", "Due in 36 min"],
    ...change,
  });
}

// This workstation runs 2 min slow: it fetched the list at what it calls 10:12:36.
const FETCHED = SERVER_NOW - 120_000;
const CLOCK: ListClock = { fetchedAtMs: FETCHED, clockOffsetMs: 120_000 };

describe("formatDuration at its boundaries", () => {
  it("rounds down to whole seconds, minutes, hours and days", () => {
    expect(formatDuration(59.999)).toBe("59 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(14 * 60 + 59.9)).toBe("14 min");
    expect(formatDuration(15 * 60)).toBe("15 min");
    expect(formatDuration(36 * 60 + 59)).toBe("36 min");
    expect(formatDuration(3599.9)).toBe("59 min");
    expect(formatDuration(3600)).toBe("1 h 00 min");
    expect(formatDuration(86_399)).toBe("23 h 59 min");
    expect(formatDuration(86_400)).toBe("1 d 0 h");
    expect(formatDuration(Number.NaN)).toBe("0 s");
  });
});

describe("the row and the details panel", () => {
  it("say the same waiting and due times (the reported 14 vs 15, 36 vs 37 min)", () => {
    const cells = rowTimes(row(), CLOCK, FETCHED);
    expect(cells).toEqual({ waiting: "14 min", due: { text: "due in 36 min", overdue: false } });
    expect(timeReasons(row(), CLOCK, FETCHED)).toEqual(["Waiting 14 min", "Due in 36 min"]);
  });

  it("tick past a minute together, on the server's clock", () => {
    const later = FETCHED + 24_000; // 10:15:00 on the server
    expect(rowTimes(row(), CLOCK, later).waiting).toBe("15 min");
    expect(rowTimes(row(), CLOCK, later).due.text).toBe("due in 36 min");
    expect(timeReasons(row(), CLOCK, later)).toEqual(["Waiting 15 min", "Due in 36 min"]);
    const minuteOn = FETCHED + 37_000; // 10:15:13: 36 min 03 s left, then 35 min 59 s
    expect(rowTimes(row(), CLOCK, minuteOn).due.text).toBe("due in 36 min");
    expect(rowTimes(row(), CLOCK, minuteOn + 5_000).due.text).toBe("due in 35 min");
    expect(timeReasons(row(), CLOCK, minuteOn + 5_000)[1]).toBe("Due in 35 min");
  });

  it("agree on every second of an hour", () => {
    for (let seconds = 0; seconds < 3600; seconds += 1) {
      const now = FETCHED + seconds * 1000;
      const cells = rowTimes(row(), CLOCK, now);
      const [waiting, due] = timeReasons(row(), CLOCK, now);
      expect(waiting).toBe(`Waiting ${cells.waiting}`);
      const words = cells.due.overdue
        ? `Overdue by ${cells.due.text.replace("overdue ", "")}: the max-wait guard puts it ahead of studies not yet due`
        : `D${cells.due.text.slice(1)}`;
      expect(due).toBe(words);
    }
  });

  it("say when the max-wait guard puts an overdue study first", () => {
    const overdue = row({ due_at: "2024-04-17T10:10:00Z" });
    expect(rowTimes(overdue, CLOCK, FETCHED).due).toEqual({ text: "overdue 4 min", overdue: true });
    expect(timeReasons(overdue, CLOCK, FETCHED)[1]).toBe(
      "Overdue by 4 min: the max-wait guard puts it ahead of studies not yet due",
    );
  });

  it("keep the server's placement reasons and drop its time lines, which the panel writes", () => {
    expect(TIME_REASONS).toBe(2);
    expect(placementReasons(row())).toEqual(PLACE);
    const read = row({ status: "read", reasons: PLACE });
    expect(placementReasons(read)).toEqual(PLACE);
    expect(timeReasons(read, CLOCK, FETCHED)).toEqual([]);
  });

  it("both take their times from rowFormat, never formatting a duration themselves", () => {
    expect(tableSource).toMatch(/\browTimes\(/);
    expect(panelSource).toMatch(/\btimeReasons\(/);
    expect(panelSource).toMatch(/\bplacementReasons\(/);
    for (const source of [tableSource, panelSource]) {
      expect(source).not.toMatch(/formatDuration|waitingSecondsAt|dueText|\/ ?60\b|\/ ?1000\b/);
    }
  });
});
