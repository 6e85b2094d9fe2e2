import { describe, expect, it } from "vitest";

import {
  aiFlag,
  claimText,
  dueText,
  formatDuration,
  formatProbability,
  serverClockOffsetMs,
  waitingSecondsAt,
} from "./rowFormat";
import { NO_AI, worklistRow } from "./worklistRow.fixture";

const row = worklistRow;

describe("formatDuration", () => {
  it("is dense at every scale", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(45.7)).toBe("45 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(59 * 60 + 59)).toBe("59 min");
    expect(formatDuration(3600 + 5 * 60)).toBe("1 h 05 min");
    expect(formatDuration(26 * 3600)).toBe("1 d 2 h");
    expect(formatDuration(-5)).toBe("0 s");
  });
});

describe("waiting time", () => {
  it("ticks on from the server's figure for a waiting study", () => {
    expect(waitingSecondsAt(row(), 1_000_000, 1_030_000)).toBe(630);
  });

  it("stops at the read for a read study", () => {
    expect(waitingSecondsAt(row({ status: "read" }), 1_000_000, 1_030_000)).toBe(600);
  });
});

describe("due times on the server's clock", () => {
  // The server said "waited 600 s" for a study received at 10:00: its now was 10:10.
  const serverTenTen = Date.parse("2024-04-17T10:10:00Z");

  it("measures the workstation's clock against the server's", () => {
    const fetchedAt = serverTenTen - 120_000; // the workstation runs two minutes slow
    expect(serverClockOffsetMs([row()], fetchedAt)).toBe(120_000);
    expect(serverClockOffsetMs([row({ status: "read" })], fetchedAt)).toBe(0);
  });

  it("counts down to the due time, then up as overdue", () => {
    expect(dueText(row(), serverTenTen)).toEqual({ text: "due in 30 min", overdue: false });
    expect(dueText(row(), Date.parse("2024-04-17T10:45:00Z"))).toEqual({
      text: "overdue 5 min",
      overdue: true,
    });
    expect(dueText(row({ status: "read" }), serverTenTen)).toEqual({ text: "read", overdue: false });
  });
});

describe("formatProbability", () => {
  it("never rounds to a certainty the model does not claim", () => {
    expect(formatProbability(null)).toBe("");
    expect(formatProbability(0)).toBe("<0.01");
    expect(formatProbability(0.0049)).toBe("<0.01");
    expect(formatProbability(0.005)).toBe("0.01");
    expect(formatProbability(0.42)).toBe("0.42");
    expect(formatProbability(0.9949)).toBe("0.99");
    expect(formatProbability(0.995)).toBe(">0.99");
    expect(formatProbability(0.996)).toBe(">0.99");
    expect(formatProbability(1)).toBe(">0.99");
  });

  it("writes a saturated flag and its threshold on one scale", () => {
    const flag = aiFlag({
      ...NO_AI,
      status: "positive",
      probability: 0.9996,
      positive: true,
      label: "pneumonia",
      threshold: 0.74,
      model: "chest v2",
    });
    expect(flag.text).toBe("flagged >0.99");
    expect(flag.title).toBe("Flagged pneumonia by chest v2: probability >0.99 (threshold 0.74)");
  });
});

describe("aiFlag", () => {
  it("shows a positive result with its probability", () => {
    const flag = aiFlag({
      ...NO_AI,
      status: "positive",
      probability: 0.934,
      positive: true,
      label: "pneumonia",
      threshold: 0.5,
      model: "chest v3",
    });
    expect(flag.text).toBe("flagged 0.93");
    expect(flag.tone).toBe("flagged");
    expect(flag.title).toBe("Flagged pneumonia by chest v3: probability 0.93 (threshold 0.50)");
  });

  it("names every other state briefly, with the note as its explanation", () => {
    expect(aiFlag({ ...NO_AI, status: "negative", probability: 0.12 }).text).toBe("negative 0.12");
    expect(aiFlag(NO_AI).text).toBe("pending");
    const notApplicable = aiFlag({
      ...NO_AI,
      status: "not_applicable",
      note: "CT is not a chest radiograph",
    });
    expect(notApplicable).toEqual({ text: "n/a", tone: "muted", title: "CT is not a chest radiograph" });
    expect(aiFlag({ ...NO_AI, status: "failed" }).text).toBe("failed");
    expect(aiFlag({ ...NO_AI, status: "off" }).text).toBe("off");
  });
});

describe("claimText", () => {
  const claim = { by: "dr.house", mine: false, claimed_at: "", expires_at: "" };

  it("says who is reading", () => {
    expect(claimText(row())).toBe("");
    expect(claimText(row({ claim }))).toBe("dr.house reading");
    expect(claimText(row({ claim: { ...claim, mine: true } }))).toBe("you");
    expect(claimText(row({ status: "read" }))).toBe("read");
  });
});
