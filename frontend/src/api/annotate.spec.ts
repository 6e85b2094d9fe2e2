import { describe, expect, it } from "vitest";

import { schemaPath } from "./annotate";

describe("schemaPath", () => {
  it("asks for the case's own schema version when it is known", () => {
    expect(schemaPath("chest_task", 1)).toBe("/api/annotate/schema?task=chest_task&version=1");
  });

  it("asks for the current version when no version is given", () => {
    expect(schemaPath("chest_task")).toBe("/api/annotate/schema?task=chest_task");
    expect(schemaPath("chest_task", null)).toBe("/api/annotate/schema?task=chest_task");
  });

  it("escapes the task name", () => {
    expect(schemaPath("a&b c")).toBe("/api/annotate/schema?task=a%26b+c");
  });
});
