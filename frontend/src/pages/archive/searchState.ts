/** The archive browser's search and page, kept in the address bar so a reload keeps them. */

import { EMPTY_SEARCH, type StudySearch } from "../../api/qido";

export interface BrowserState {
  search: StudySearch;
  offset: number;
}

const KEYS: Record<keyof StudySearch, string> = {
  patientName: "name",
  patientId: "pid",
  accessionNumber: "acc",
  modality: "mod",
  studyDateFrom: "from",
  studyDateTo: "to",
};

export function stateToQuery(state: BrowserState): string {
  const params = new URLSearchParams();
  for (const [field, key] of Object.entries(KEYS) as [keyof StudySearch, string][]) {
    const value = state.search[field].trim();
    if (value) params.set(key, value);
  }
  if (state.offset > 0) params.set("offset", String(state.offset));
  const query = params.toString();
  return query ? `?${query}` : "";
}

export function stateFromQuery(query: string): BrowserState {
  const params = new URLSearchParams(query);
  const search: StudySearch = { ...EMPTY_SEARCH };
  for (const [field, key] of Object.entries(KEYS) as [keyof StudySearch, string][]) {
    search[field] = params.get(key)?.trim() ?? "";
  }
  const offset = Number.parseInt(params.get("offset") ?? "0", 10);
  return { search, offset: Number.isFinite(offset) && offset > 0 ? offset : 0 };
}

/** "Studies 51–100" for a page that returned `count` rows; "" for an empty first page. */
export function pageLabel(offset: number, count: number): string {
  if (count === 0) return offset > 0 ? "No more studies" : "";
  return `Studies ${offset + 1}–${offset + count}`;
}
