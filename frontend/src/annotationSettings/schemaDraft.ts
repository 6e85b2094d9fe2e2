/**
 * The schema editor's state as plain data, apart from the DOM (so a spec covers it): a draft that
 * starts from the current version, its edits, the body POSTed for the next version, and the
 * server's refusal spread back onto the fields it names. The server is the judge of a schema
 * (annotations/validation.py); nothing here second-guesses its rules.
 */

import type { LabelSchema, RegionClass, SchemaClass } from "../api/annotate";
import { ApiError } from "../api/http";
import type { SchemaBody } from "./settingsApi";

export type ListName = "classes" | "box_classes" | "mask_classes";

export const LIST_NAMES: readonly ListName[] = ["classes", "box_classes", "mask_classes"];

/** One row of the editor; `stored` rows came from the current version (their key stays). */
export interface DraftEntry {
  key: string;
  display_name: string;
  hotkey: string;
  colour: string;
  stored: boolean;
}

export interface SchemaDraft {
  classes: DraftEntry[];
  box_classes: DraftEntry[];
  mask_classes: DraftEntry[];
  multi_label: boolean;
  note: string;
}

/** The colour a new box or mask class starts with: the seeded region's orange. */
export const NEW_REGION_COLOUR = "#ff8c00";

function entryOf(entry: SchemaClass | RegionClass): DraftEntry {
  return { ...entry, colour: "colour" in entry ? entry.colour : "", stored: true };
}

/** A draft equal to `schema`, with an empty note. */
export function draftFrom(schema: LabelSchema): SchemaDraft {
  return {
    classes: schema.classes.map(entryOf),
    box_classes: schema.box_classes.map(entryOf),
    mask_classes: schema.mask_classes.map(entryOf),
    multi_label: schema.multi_label,
    note: "",
  };
}

/** The draft with an empty new row at the end of `list` (its key, name and hotkey to fill in). */
export function addEntry(draft: SchemaDraft, list: ListName): SchemaDraft {
  const colour = list === "classes" ? "" : NEW_REGION_COLOUR;
  return { ...draft, [list]: [...draft[list], { key: "", display_name: "", hotkey: "", colour, stored: false }] };
}

export function removeEntry(draft: SchemaDraft, list: ListName, index: number): SchemaDraft {
  return { ...draft, [list]: draft[list].filter((_, i) => i !== index) };
}

export type EntryField = "key" | "display_name" | "hotkey" | "colour";

export function editEntry(
  draft: SchemaDraft,
  list: ListName,
  index: number,
  field: EntryField,
  value: string,
): SchemaDraft {
  return { ...draft, [list]: draft[list].map((entry, i) => (i === index ? { ...entry, [field]: value } : entry)) };
}

/** What POST /api/annotate/schemas is sent: exactly the fields each list's entries take. */
export function schemaBody(draft: SchemaDraft): SchemaBody {
  const plain = (entry: DraftEntry): SchemaClass => ({
    key: entry.key.trim(),
    display_name: entry.display_name.trim(),
    hotkey: entry.hotkey,
  });
  const region = (entry: DraftEntry): RegionClass => ({ ...plain(entry), colour: entry.colour.toLowerCase() });
  return {
    classes: draft.classes.map(plain),
    multi_label: draft.multi_label,
    box_classes: draft.box_classes.map(region),
    mask_classes: draft.mask_classes.map(region),
    note: draft.note.trim(),
  };
}

/** Whether the draft differs from the version it started from (a note alone is no change). */
export function draftChanged(draft: SchemaDraft, schema: LabelSchema): boolean {
  const { note: _note, ...lists } = schemaBody(draft);
  const { note: _base, ...base } = schemaBody(draftFrom(schema));
  return JSON.stringify(lists) !== JSON.stringify(base);
}

/** Words from a DRF error value: a string, a list of them, or nested per entry. */
function words(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(words).filter(Boolean).join(" ");
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([part, inner]) => `${/^\d+$/.test(part) ? `Entry ${Number(part) + 1}` : part}: ${words(inner)}`)
      .join(" ");
  }
  return "";
}

/**
 * A refusal as {field: message} plus what belongs to no field. The schema service answers
 * {"detail", "errors": {list: message}}; DRF's own checks answer {field: [messages]}.
 */
export function fieldErrors(error: unknown): { fields: Record<string, string>; general: string | null } {
  if (!(error instanceof ApiError) || error.kind !== "bad-request") {
    return { fields: {}, general: error instanceof Error ? error.message : null };
  }
  const body = error.body;
  const fields: Record<string, string> = {};
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    const nested = record["errors"];
    const source =
      nested && typeof nested === "object" ? (nested as Record<string, unknown>) : record;
    for (const [field, value] of Object.entries(source)) {
      if (field === "detail" || field === "code" || field === "non_field_errors") continue;
      const text = words(value);
      if (text) fields[field] = text;
    }
    const general = words(record["non_field_errors"]);
    if (general) return { fields, general };
  }
  const named = Object.keys(fields).length > 0;
  return { fields, general: named ? null : error.message || "The server refused the request." };
}
