import { describe, expect, it } from "vitest";

import { localDateTime } from "../api/format";
import type { Read } from "../api/reading";
import type { AiResult } from "../api/worklist";
import { earlierReadText, readChoices, savedText } from "./readChoices";

const AI: AiResult = {
  status: "positive",
  note: "",
  probability: 0.91,
  positive: true,
  label: "pneumonia",
  threshold: 0.5,
  model: "chest v3",
};

const READ: Read = {
  reader: "dr.jones",
  opened_at: "2024-05-01T09:58:00Z",
  // 10:02 on 1 May 2024 wherever the test runs.
  read_at: new Date(2024, 4, 1, 10, 2, 31).toISOString(),
  duration_seconds: 271,
  verdict: "ai_wrong",
  ai_status: "positive",
  ai_probability: 0.91,
  model: "chest v3",
  label: { task: "chest_xray_pneumonia", value: "normal", source: "radiologist_read" },
};

describe("readChoices", () => {
  it("asks whether the AI was right when it gave an answer", () => {
    for (const status of ["positive", "negative"] as const) {
      expect(readChoices({ ...AI, status }).map((c) => [c.verdict, c.action])).toEqual([
        ["ai_right", "read.aiRight"],
        ["ai_wrong", "read.aiWrong"],
      ]);
    }
  });

  it("offers a plain read without a verdict when there is no AI answer to judge", () => {
    for (const status of ["pending", "not_applicable", "failed", "off"] as const) {
      expect(readChoices({ ...AI, status })).toEqual([{ verdict: null, action: "read.done", caption: "Read" }]);
    }
  });
});

describe("savedText", () => {
  it("names the label the read stored", () => {
    expect(savedText(READ)).toBe("Saved: normal (your read)");
    expect(savedText({ ...READ, label: null })).toBe("Saved.");
  });
});

describe("earlierReadText", () => {
  it("says who read the study, when (local time), and what they found", () => {
    expect(earlierReadText(READ)).toBe("Read by dr.jones on 2024-05-01 10:02: normal");
  });

  it("shows a time it cannot read as it came", () => {
    expect(localDateTime("soon")).toBe("soon");
  });
});
