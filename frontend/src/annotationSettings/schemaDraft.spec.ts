import { describe, expect, it } from "vitest";

import type { LabelSchema } from "../api/annotate";
import { ApiError } from "../api/http";
import {
  NEW_REGION_COLOUR,
  addEntry,
  draftChanged,
  draftFrom,
  editEntry,
  fieldErrors,
  removeEntry,
  schemaBody,
} from "./schemaDraft";

const SCHEMA: LabelSchema = {
  task: "task-a",
  version: 2,
  classes: [
    { key: "first", display_name: "First", hotkey: "1" },
    { key: "second", display_name: "Second", hotkey: "2" },
  ],
  multi_label: false,
  box_classes: [{ key: "region", display_name: "Region", colour: "#FF8C00", hotkey: "b" }],
  mask_classes: [],
};

describe("the schema draft", () => {
  it("starts equal to the current version and sends its lists back unchanged", () => {
    const draft = draftFrom(SCHEMA);
    expect(draftChanged(draft, SCHEMA)).toBe(false);
    expect(schemaBody(draft)).toEqual({
      classes: SCHEMA.classes,
      multi_label: false,
      box_classes: [{ key: "region", display_name: "Region", colour: "#ff8c00", hotkey: "b" }],
      mask_classes: [],
      note: "",
    });
  });

  it("adds a box class with its colour, renames and removes classes", () => {
    let draft = addEntry(draftFrom(SCHEMA), "box_classes");
    expect(draft.box_classes[1]).toMatchObject({ colour: NEW_REGION_COLOUR, stored: false });
    draft = editEntry(draft, "box_classes", 1, "key", " nodule ");
    draft = editEntry(draft, "box_classes", 1, "display_name", "Nodule");
    draft = editEntry(draft, "box_classes", 1, "hotkey", "n");
    draft = editEntry(draft, "box_classes", 1, "colour", "#00AA00");
    draft = editEntry(draft, "classes", 1, "display_name", "Second, renamed");
    draft = removeEntry(draft, "box_classes", 0);

    const body = schemaBody({ ...draft, note: " nodules too " });
    expect(body.box_classes).toEqual([{ key: "nodule", display_name: "Nodule", hotkey: "n", colour: "#00aa00" }]);
    expect(body.classes[1]).toEqual({ key: "second", display_name: "Second, renamed", hotkey: "2" });
    expect(body.note).toBe("nodules too");
    expect(draftChanged(draft, SCHEMA)).toBe(true);
  });

  it("counts multi-label as a change but not a note alone", () => {
    expect(draftChanged({ ...draftFrom(SCHEMA), note: "why" }, SCHEMA)).toBe(false);
    expect(draftChanged({ ...draftFrom(SCHEMA), multi_label: true }, SCHEMA)).toBe(true);
  });
});

describe("fieldErrors", () => {
  it("puts the schema service's messages on the lists they name", () => {
    const error = new ApiError("bad-request", "Hotkey 'b' ...", 400, {
      detail: "Hotkey 'b' ...",
      code: "invalid",
      errors: { box_classes: "Hotkey 'b' of box_classes 'x' is already the hotkey of box_classes 'region'" },
    });
    const refusal = fieldErrors(error);
    expect(refusal.fields["box_classes"]).toContain("already the hotkey");
    expect(refusal.general).toBeNull();
  });

  it("reads DRF's field errors, nested per entry, in words", () => {
    const error = new ApiError("bad-request", "Bad Request", 400, {
      note: ["Ensure this field has no more than 500 characters."],
      labels_required: ["A valid integer is required."],
      classes: { "0": ["Not a valid dict."] },
    });
    expect(fieldErrors(error).fields).toEqual({
      note: "Ensure this field has no more than 500 characters.",
      labels_required: "A valid integer is required.",
      classes: "Entry 1: Not a valid dict.",
    });
  });

  it("keeps other failures whole, for the page's alert", () => {
    const refusal = fieldErrors(new ApiError("conflict", "Another schema version was added", 409, {}));
    expect(refusal).toEqual({ fields: {}, general: "Another schema version was added" });
  });
});
