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

const COUNT = new Intl.NumberFormat("en-US");

/**
 * "Studies 51–100 of 1,234" for a page that returned `count` rows of `total`; without a total
 * (a server that sends none) "Studies 51–100"; "" for an empty first page.
 */
export function pageLabel(offset: number, count: number, total?: number): string {
  if (count === 0) {
    if (offset === 0) return "";
    return total === undefined ? "No more studies" : `No more studies (${COUNT.format(total)} in all)`;
  }
  const range = `Studies ${COUNT.format(offset + 1)}–${COUNT.format(offset + count)}`;
  return total === undefined ? range : `${range} of ${COUNT.format(total)}`;
}

/** Whether a page after this one may hold studies: by the total when known, else a full page. */
export function hasNextPage(offset: number, count: number, pageSize: number, total?: number): boolean {
  return total === undefined ? count >= pageSize : offset + count < total;
}
