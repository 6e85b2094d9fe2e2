/**
 * The label schema part of the settings page: the current version (classes with hotkeys, box and
 * mask classes with colours and hotkeys, multi-label), the version history (who, when, note), and
 * an editor that starts from the current version and saves the next one with a note. The server
 * checks the schema; its messages are shown next to the list they name, and nothing is saved.
 */

import type { LabelSchema } from "../api/annotate";
import { h } from "../pages/dom";
import { formatInstant } from "../pages/time";
import {
  type DraftEntry,
  type EntryField,
  LIST_NAMES,
  type ListName,
  type SchemaDraft,
  addEntry,
  draftChanged,
  draftFrom,
  editEntry,
  fieldErrors,
  removeEntry,
  schemaBody,
} from "./schemaDraft";
import { type SchemaVersion, addSchema } from "./settingsApi";

const LIST_TITLES: Record<ListName, { title: string; one: string }> = {
  classes: { title: "Image classes", one: "class" },
  box_classes: { title: "Box classes", one: "box class" },
  mask_classes: { title: "Mask classes", one: "mask class" },
};

function entryText(entry: { display_name: string; key: string; hotkey: string }): string {
  return `${entry.display_name} (${entry.key}), key ${entry.hotkey}`;
}

/** The current version, read-only. */
function currentView(schema: SchemaVersion): HTMLElement {
  const list = (name: ListName): HTMLElement => {
    const entries = schema[name] as (LabelSchema["box_classes"][number] | LabelSchema["classes"][number])[];
    return h(
      "div",
      {},
      h("h3", {}, LIST_TITLES[name].title),
      entries.length
        ? h(
            "ul",
            { "data-testid": `current-${name}` },
            ...entries.map((entry) =>
              h(
                "li",
                { "data-key": entry.key },
                "colour" in entry
                  ? h("span", { class: "colour-swatch", style: `background:${entry.colour}`, "aria-hidden": "true" })
                  : null,
                entryText(entry),
                "colour" in entry ? `, colour ${entry.colour}` : "",
              ),
            ),
          )
        : h("p", { class: "muted" }, "None."),
    );
  };
  return h(
    "div",
    { class: "schema-current", "data-testid": "schema-current", "data-version": schema.version },
    h("h2", { id: "schema-heading" }, `Current label schema: version ${schema.version}`),
    h(
      "p",
      {},
      schema.multi_label ? "Multi-label: an image may have several classes." : "Single label: one class per image.",
    ),
    ...LIST_NAMES.map(list),
  );
}

/** Every version, newest first. */
function historyTable(versions: SchemaVersion[]): HTMLElement {
  return h(
    "table",
    { class: "studies schema-history", "data-testid": "schema-history" },
    h("caption", {}, "Version history"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Version", "Added by", "When", "Note"].map((label) => h("th", { scope: "col" }, label))),
    ),
    h(
      "tbody",
      {},
      ...versions.map((version) =>
        h(
          "tr",
          { "data-version": version.version },
          h("th", { scope: "row" }, String(version.version)),
          h("td", {}, version.created_by ?? "(set up with the product)"),
          h("td", {}, formatInstant(version.created_at)),
          h("td", {}, version.note || "—"),
        ),
      ),
    ),
  );
}

export interface SchemaSection {
  element: HTMLElement;
}

/**
 * The schema part for `task`, from its versions (newest first). `onSaved` is told of the new
 * version so the page reloads the history from the server.
 */
export function schemaSection(
  task: string,
  versions: SchemaVersion[],
  onSaved: (saved: SchemaVersion) => void,
  message = "",
): SchemaSection {
  const current = versions[0];
  const element = h("section", { class: "settings-block", "aria-labelledby": "schema-heading" });
  if (!current) {
    element.replaceChildren(h("h2", { id: "schema-heading" }, "Label schema"), h("p", {}, "This task has no label schema yet."));
    return { element };
  }
  let draft: SchemaDraft = draftFrom(current);
  let errors: Record<string, string> = {};
  let saving = false;
  const general = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "schema-error" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": "schema-status" }, message);
  const editor = h("form", { class: "schema-editor", "data-testid": "schema-editor", novalidate: true });

  function set(next: SchemaDraft): void {
    draft = next;
    render();
  }

  function textInput(list: ListName, index: number, entry: DraftEntry, field: EntryField, label: string): HTMLElement {
    const input = h("input", {
      type: field === "colour" ? "color" : "text",
      value: entry[field],
      name: `${list}-${index}-${field}`,
      "aria-label": `${label} of ${LIST_TITLES[list].one} ${index + 1}`,
      maxlength: field === "hotkey" ? 1 : field === "key" ? 32 : 100,
      size: field === "hotkey" ? 2 : field === "key" ? 14 : 24,
      readonly: field === "key" && entry.stored,
      title: field === "key" && entry.stored ? "Stored labels use this key; rename the display name instead." : undefined,
    });
    // Keep focus while typing: update the draft without redrawing the row.
    input.addEventListener("input", () => {
      draft = editEntry(draft, list, index, field, input.value);
      updateSave();
    });
    return h("td", {}, input);
  }

  function listEditor(list: ListName): HTMLElement {
    const regions = list !== "classes";
    const rows = draft[list].map((entry, index) =>
      h(
        "tr",
        { "data-index": index },
        textInput(list, index, entry, "display_name", "Name"),
        textInput(list, index, entry, "key", "Key"),
        textInput(list, index, entry, "hotkey", "Hotkey"),
        regions ? textInput(list, index, entry, "colour", "Colour") : null,
        h(
          "td",
          {},
          (() => {
            const remove = h(
              "button",
              { type: "button", class: "button-quiet", "aria-label": `Remove ${LIST_TITLES[list].one} ${index + 1}` },
              "Remove",
            );
            remove.addEventListener("click", () => set(removeEntry(draft, list, index)));
            return remove;
          })(),
        ),
      ),
    );
    const add = h("button", { type: "button", class: "button-quiet" }, `Add a ${LIST_TITLES[list].one}`);
    add.addEventListener("click", () => {
      set(addEntry(draft, list));
      editor.querySelector<HTMLInputElement>(`[name="${list}-${draft[list].length - 1}-display_name"]`)?.focus();
    });
    const error = errors[list];
    const errorId = `schema-error-${list}`;
    return h(
      "fieldset",
      { class: "schema-list", "data-list": list, "aria-describedby": error ? errorId : undefined },
      h("legend", {}, LIST_TITLES[list].title),
      error ? h("p", { class: "field-error", id: errorId, "data-testid": errorId }, error) : null,
      h(
        "table",
        { class: "schema-entries" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Name", "Key", "Hotkey", ...(regions ? ["Colour"] : []), ""].map((label) => h("th", { scope: "col" }, label)),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
      add,
    );
  }

  const save = h("button", { type: "submit" }, "Save as a new version");
  function updateSave(): void {
    save.disabled = saving || !draftChanged(draft, current as LabelSchema);
  }

  function render(): void {
    const multi = h("input", { type: "checkbox", name: "multi_label", checked: draft.multi_label });
    multi.addEventListener("change", () => set({ ...draft, multi_label: multi.checked }));
    const note = h("input", { type: "text", name: "note", value: draft.note, maxlength: 500, size: 60 });
    note.addEventListener("input", () => {
      draft = { ...draft, note: note.value };
    });
    const other = Object.entries(errors).filter(([field]) => !(LIST_NAMES as readonly string[]).includes(field));
    editor.replaceChildren(
      h("h2", {}, `Edit: version ${current?.version ?? 0} becomes version ${(current?.version ?? 0) + 1}`),
      ...LIST_NAMES.map(listEditor),
      h("label", { class: "schema-multi" }, multi, " Multi-label (several classes per image)"),
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Note (why this version)"), note),
      ...other.map(([field, message]) => h("p", { class: "field-error", "data-field": field }, `${field}: ${message}`)),
      h("p", {}, save, " ", resetButton),
    );
    updateSave();
  }

  const resetButton = h("button", { type: "button", class: "button-quiet" }, "Start again from the current version");
  resetButton.addEventListener("click", () => {
    errors = {};
    general.hidden = true;
    set(draftFrom(current));
  });

  editor.addEventListener("submit", (event) => {
    event.preventDefault();
    if (saving) return;
    saving = true;
    updateSave();
    status.textContent = "Saving…";
    general.hidden = true;
    addSchema(task, schemaBody(draft))
      .then((saved) => {
        errors = {};
        status.textContent = `Saved as version ${saved.version}.`;
        onSaved(saved);
      })
      .catch((error: unknown) => {
        const refusal = fieldErrors(error);
        errors = refusal.fields;
        status.textContent = "Nothing was saved.";
        if (refusal.general) {
          general.textContent = refusal.general;
          general.hidden = false;
        }
      })
      .finally(() => {
        saving = false;
        render();
      });
  });

  render();
  element.append(
    currentView(current),
    historyTable(versions),
    general,
    editor,
    status,
  );
  return { element };
}
