import { describe, expect, it } from "vitest";

import type { LabelSchema } from "../api/annotate";
import { drawingButtons, reviewDrawingKeys } from "./reviewTools";

const SCHEMA: LabelSchema = {
  task: "chest_task",
  version: 2,
  classes: [
    { key: "absent", display_name: "no finding", hotkey: "1" },
    { key: "present", display_name: "the finding", hotkey: "2" },
  ],
  multi_label: false,
  box_classes: [{ key: "region", display_name: "Region", colour: "#ff8c00", hotkey: "b" }],
  mask_classes: [{ key: "region", display_name: "Region", colour: "#ff8c00", hotkey: "m" }],
};

describe("reviewDrawingKeys", () => {
  const keys = reviewDrawingKeys(SCHEMA, ["a", "e", "r"]);
  const byKey = new Map(keys.map((binding) => [binding.key, binding.action]));

  it("gives the reviewer the workspace's keys for boxes, brushes, freehand and undo/redo", () => {
    expect(byKey.get("b")).toEqual({ kind: "tool", tool: "box", regionClass: "region" });
    expect(byKey.get("m")).toEqual({ kind: "tool", tool: "brush", regionClass: "region" });
    expect(byKey.get("f")).toEqual({ kind: "tool", tool: "freehand" });
    expect(byKey.get("Ctrl+z")).toEqual({ kind: "undo" });
    expect(byKey.get("Ctrl+Shift+z")).toEqual({ kind: "redo" });
  });

  it("leaves the decision keys and the class keys to the review page", () => {
    for (const key of ["a", "e", "r", "1", "2"]) expect(byKey.has(key)).toBe(false);
  });

  it("never offers the workspace's submit, skip or class choices", () => {
    const kinds = new Set(keys.map((binding) => binding.action.kind));
    for (const kind of ["submit", "skip", "class", "help"]) expect(kinds.has(kind as never)).toBe(false);
  });

  it("drops a region hotkey a class already uses", () => {
    const clash = { ...SCHEMA, classes: [...SCHEMA.classes, { key: "other", display_name: "other", hotkey: "B" }] };
    expect(reviewDrawingKeys(clash, ["a", "e", "r"]).some((binding) => binding.key === "b")).toBe(false);
  });
});

describe("drawingButtons", () => {
  it("has a button per region class and the common tools, each with its key or none", () => {
    const buttons = drawingButtons(SCHEMA, reviewDrawingKeys(SCHEMA, ["a", "e", "r"]));
    expect(buttons.map((button) => [button.caption, button.key])).toEqual([
      ["Box: Region", "b"],
      ["Brush: Region", "m"],
      ["Eraser", ""],
      ["Freehand", "f"],
      ["W/L", "v"],
      ["Pan", "p"],
      ["Zoom", "z"],
      ["Undo", "Ctrl+z"],
      ["Redo", "Ctrl+Shift+z"],
    ]);
  });
});
