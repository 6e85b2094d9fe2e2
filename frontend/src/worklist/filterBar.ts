/**
 * The worklist's filters: a search box (patient name prefix, patient ID, accession), status,
 * clinical priority, AI result, modality and arrival dates. Selects apply at once; typing in the
 * search box applies after a short pause, Enter at once.
 */

import {
  AI_STATUSES,
  type AiStatus,
  CLINICAL_PRIORITIES,
  type ClinicalPriority,
  type StatusFilter,
} from "../api/worklist";
import { field, h } from "../pages/dom";
import { MODALITIES } from "../pages/modalities";
import { DEFAULT_STATE, type WorklistState } from "./worklistState";

export type Filters = Omit<WorklistState, "sort" | "offset">;

export interface FilterBar {
  element: HTMLFormElement;
  searchBox: HTMLInputElement;
  set(state: WorklistState): void;
}

const AI_LABELS: Record<AiStatus, string> = {
  positive: "Flagged",
  negative: "Not flagged",
  pending: "Pending",
  not_applicable: "Not applicable",
  failed: "Failed",
  off: "Off (no model)",
};
const SEARCH_PAUSE_MS = 300;

function select(name: string, options: [string, string][]): HTMLSelectElement {
  return h("select", { name }, ...options.map(([value, label]) => h("option", { value }, label)));
}

export function createFilterBar(onChange: (filters: Filters) => void): FilterBar {
  const inputs = {
    q: h("input", {
      name: "q",
      type: "search",
      autocomplete: "off",
      placeholder: "Name, patient ID, accession",
      "aria-keyshortcuts": "/",
    }),
    status: select("status", [
      ["waiting", "Waiting"],
      ["read", "Read"],
      ["all", "All"],
    ]),
    priority: select("priority", [["", "Any"], ...CLINICAL_PRIORITIES.map((p): [string, string] => [p, p])]),
    ai: select("ai", [["", "Any"], ...AI_STATUSES.map((s): [string, string] => [s, AI_LABELS[s]])]),
    modality: select("modality", [["", "Any"], ...MODALITIES.map((m): [string, string] => [m, m])]),
    received_from: h("input", { name: "received_from", type: "date" }),
    received_to: h("input", { name: "received_to", type: "date" }),
  } satisfies Record<keyof Filters, HTMLInputElement | HTMLSelectElement>;

  const clear = h("button", { type: "button", class: "button-quiet" }, "Clear");
  const element = h(
    "form",
    { class: "search worklist-filters", role: "search", "aria-label": "Filter the worklist" },
    field("Search", inputs.q),
    field("Status", inputs.status),
    field("Priority", inputs.priority),
    field("AI result", inputs.ai),
    field("Modality", inputs.modality),
    field("Received from", inputs.received_from),
    field("to", inputs.received_to),
    h("div", { class: "search-actions" }, clear),
  );

  const read = (): Filters => ({
    q: inputs.q.value.trim(),
    status: inputs.status.value as StatusFilter,
    priority: inputs.priority.value as ClinicalPriority | "",
    ai: inputs.ai.value as AiStatus | "",
    modality: inputs.modality.value,
    received_from: inputs.received_from.value,
    received_to: inputs.received_to.value,
  });
  const set = (state: WorklistState): void => {
    for (const key of Object.keys(inputs) as (keyof Filters)[]) inputs[key].value = state[key];
  };

  let pause: ReturnType<typeof setTimeout> | undefined;
  let applied = read();
  const apply = (): void => {
    clearTimeout(pause);
    const filters = read();
    // Enter after the pause, or a change event that repeats an input event, asks for nothing new.
    if (JSON.stringify(filters) === JSON.stringify(applied)) return;
    applied = filters;
    onChange(filters);
  };

  // No submit button (and the date fields block implicit submission): Enter applies here.
  element.addEventListener("submit", (event) => event.preventDefault());
  inputs.q.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      apply();
    }
  });
  element.addEventListener("change", apply);
  inputs.q.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(apply, SEARCH_PAUSE_MS);
  });
  clear.addEventListener("click", () => {
    set(DEFAULT_STATE);
    apply();
  });

  return {
    element,
    searchBox: inputs.q,
    set(state) {
      set(state);
      applied = read();
    },
  };
}
