/**
 * What the worklist shows (filters, sort, page), kept in the address bar so that a reload, a
 * shared link and the back button give the same list. Parameter names are the API's own.
 */

import {
  AI_STATUSES,
  type AiStatus,
  CLINICAL_PRIORITIES,
  type ClinicalPriority,
  SORT_NAMES,
  type SortName,
  type StatusFilter,
  type WorklistQuery,
} from "../api/worklist";

export const PAGE_SIZE = 50;

export type WorklistState = Omit<WorklistQuery, "limit">;

export const DEFAULT_STATE: WorklistState = {
  status: "waiting",
  modality: "",
  ai: "",
  priority: "",
  q: "",
  received_from: "",
  received_to: "",
  sort: "priority",
  offset: 0,
};

const STATUSES: readonly StatusFilter[] = ["waiting", "read", "all"];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.find((candidate) => candidate === value) ?? fallback;
}

function isoDate(value: string | null): string {
  const text = value?.trim() ?? "";
  return ISO_DATE.test(text) ? text : "";
}

/** The state a query string describes; unknown or malformed values fall back to the defaults. */
export function stateFromSearch(search: string): WorklistState {
  const params = new URLSearchParams(search);
  const offset = Number.parseInt(params.get("offset") ?? "0", 10);
  return {
    status: oneOf(params.get("status"), STATUSES, DEFAULT_STATE.status),
    modality: (params.get("modality") ?? "").trim().toUpperCase(),
    ai: oneOf<AiStatus | "">(params.get("ai"), AI_STATUSES, ""),
    priority: oneOf<ClinicalPriority | "">(
      params.get("priority")?.toUpperCase() ?? null,
      CLINICAL_PRIORITIES,
      "",
    ),
    q: (params.get("q") ?? "").trim(),
    received_from: isoDate(params.get("received_from")),
    received_to: isoDate(params.get("received_to")),
    sort: oneOf<SortName>(params.get("sort"), SORT_NAMES, DEFAULT_STATE.sort),
    // Whole pages only: a hand-edited offset snaps back to the start of its page.
    offset: Number.isFinite(offset) && offset > 0 ? offset - (offset % PAGE_SIZE) : 0,
  };
}

/** "?priority=STAT&sort=-received" — only what differs from the defaults; "" for none. */
export function stateToSearch(state: WorklistState): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULT_STATE) as (keyof WorklistState)[]) {
    const value = String(state[key]).trim();
    if (value !== String(DEFAULT_STATE[key])) params.set(key, value);
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

export function toQuery(state: WorklistState): WorklistQuery {
  return { ...state, limit: PAGE_SIZE };
}

/** True when two states ask for the same rows (a live refresh, not a new search). */
export function sameQuery(a: WorklistState, b: WorklistState): boolean {
  return stateToSearch(a) === stateToSearch(b);
}

/** Change filters or sort: back to the first page, since the old offset means nothing now. */
export function withFilters(
  state: WorklistState,
  change: Partial<Omit<WorklistState, "offset">>,
): WorklistState {
  return { ...state, ...change, offset: 0 };
}

/** The offset of the last page of `count` rows (0 when there are none). */
export function lastPageOffset(count: number): number {
  return Math.max(0, Math.ceil(count / PAGE_SIZE) - 1) * PAGE_SIZE;
}

/** The offset of the page `step` pages away, kept inside [0, last page]; null when there is none. */
export function pageOffset(offset: number, step: number, count: number): number | null {
  const target = Math.min(Math.max(offset + step * PAGE_SIZE, 0), lastPageOffset(count));
  return target === offset ? null : target;
}

const NUMBER = new Intl.NumberFormat("en-US");

/** "Studies 1–50 of 100,000"; "No studies" for an empty list. */
export function rangeLabel(offset: number, shown: number, count: number): string {
  if (count === 0) return "No studies";
  if (shown === 0) return `No studies here (${NUMBER.format(count)} in all)`;
  return `Studies ${NUMBER.format(offset + 1)}–${NUMBER.format(offset + shown)} of ${NUMBER.format(count)}`;
}
