import { describe, expect, it } from "vitest";

import type { LabelSchema } from "../api/annotate";
import { workspaceKeys } from "./workspaceKeys";

const schema: LabelSchema = {
  task: "t",
  version: 1,
  classes: [
    { key: "a", display_name: "A", hotkey: "1" },
    { key: "b", display_name: "B", hotkey: "2" },
  ],
  multi_label: false,
  box_classes: [{ key: "r", display_name: "Region", hotkey: "b", colour: "#ff8c00" }],
  mask_classes: [{ key: "r", display_name: "Region", hotkey: "M", colour: "#ff8c00" }],
};

function actionOf(key: string, s: LabelSchema = schema) {
  return workspaceKeys(s).bindings.find((binding) => binding.key === key)?.action;
}

describe("workspaceKeys", () => {
  it("puts each class on its number key", () => {
    expect(actionOf("1")).toEqual({ kind: "class", key: "a" });
    expect(actionOf("2")).toEqual({ kind: "class", key: "b" });
  });

  it("gives box and mask classes their tools, whatever the case of the hotkey", () => {
    expect(actionOf("b")).toEqual({ kind: "tool", tool: "box", regionClass: "r" });
    expect(actionOf("m")).toEqual({ kind: "tool", tool: "brush", regionClass: "r" });
  });

  it("keeps the fixed keys and reports a schema hotkey that clashes with one", () => {
    const clashing = { ...schema, classes: [{ key: "a", display_name: "A", hotkey: "n" }] };
    const { clashes } = workspaceKeys(clashing);
    expect(actionOf("n", clashing)).toEqual({ kind: "submit" });
    expect(clashes).toEqual(["Class: A (n)"]);
  });
});
