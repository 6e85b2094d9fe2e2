import { afterEach, describe, expect, it } from "vitest";

import { classDisplayName, setTasks, type Task } from "./tasks";

const TASK: Task = {
  name: "chest_task",
  display_name: "Chest",
  classes: [
    { key: "absent", display_name: "no finding", positive: false },
    { key: "present", display_name: "the finding", positive: true },
  ],
  finding: "the finding",
  modalities: ["DX"],
  eligibility: "chest radiographs",
};

describe("classDisplayName", () => {
  afterEach(() => setTasks([]));

  it("writes a class key as the registry names it", () => {
    setTasks([TASK]);
    expect(classDisplayName("present")).toBe("the finding");
    expect(classDisplayName("absent", "chest_task")).toBe("no finding");
  });

  it("falls back to the key for an unknown class or task, or before the registry is loaded", () => {
    expect(classDisplayName("present")).toBe("present");
    setTasks([TASK]);
    expect(classDisplayName("other")).toBe("other");
    expect(classDisplayName("present", "other_task")).toBe("present");
  });
});
