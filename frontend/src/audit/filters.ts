/**
 * The audit page's filters, kept in the address bar so that a filtered view can be bookmarked
 * and sent to someone else: the same keys the audit API takes, so the page's query is the API's.
 */

export interface AuditFilters {
  /** A user name. */
  user: string;
  /** A patient ID or (part of) a patient's name. */
  patient: string;
  /** A Study Instance UID. */
  study: string;
  /** An event code from the vocabulary ("" for any). */
  event: string;
  /** An outcome code from the vocabulary ("" for any). */
  outcome: string;
  /** From this instant on (ISO 8601 in UTC, so a shared link means the same time everywhere). */
  since: string;
  /** Up to this instant (ISO 8601 in UTC). */
  until: string;
}

export const NO_FILTERS: AuditFilters = {
  user: "",
  patient: "",
  study: "",
  event: "",
  outcome: "",
  since: "",
  until: "",
};

/** In the order the address bar and the API show them. */
const KEYS = Object.keys(NO_FILTERS) as (keyof AuditFilters)[];

/** The filters that are set, as URL parameters (empty ones left out). */
export function filterParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  return params;
}

/** "?user=reviewer&study=1.2.3" or "" when nothing is filtered. */
export function filtersToQuery(filters: AuditFilters): string {
  const query = filterParams(filters).toString();
  return query ? `?${query}` : "";
}

/** The filters an address bar's query names; unknown keys are ignored, missing ones empty. */
export function filtersFromQuery(query: string): AuditFilters {
  const params = new URLSearchParams(query);
  const filters = { ...NO_FILTERS };
  for (const key of KEYS) filters[key] = params.get(key)?.trim() ?? "";
  return filters;
}

/** True when no filter is set (the whole log, newest first). */
export function isUnfiltered(filters: AuditFilters): boolean {
  return KEYS.every((key) => !filters[key].trim());
}

/** One page of events: the filters, then where the last page ended. */
export function eventsUrl(filters: AuditFilters, cursor: string | null, limit: number): string {
  const params = filterParams(filters);
  if (cursor) params.set("cursor", cursor);
  params.set("limit", String(limit));
  return `/api/audit/events?${params.toString()}`;
}

/** The CSV download of every event these filters select. */
export function csvUrl(filters: AuditFilters): string {
  return `/api/audit/events.csv${filtersToQuery(filters)}`;
}

const two = (n: number): string => String(n).padStart(2, "0");

/**
 * An ISO instant as an <input type="datetime-local"> value ("YYYY-MM-DDTHH:MM") in this
 * workstation's time zone; "" when empty or unparsable.
 */
export function toLocalInput(iso: string): string {
  if (!iso.trim()) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}` +
    `T${two(date.getHours())}:${two(date.getMinutes())}`
  );
}

const LOCAL_INPUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * An <input type="datetime-local"> value (this workstation's time) as an ISO instant in UTC
 * without milliseconds ("2026-11-30T04:00:00Z"); "" when empty or not a date-time.
 */
export function fromLocalInput(value: string): string {
  const trimmed = value.trim();
  if (!LOCAL_INPUT.test(trimmed)) return "";
  // A date-time form without an offset is local time (ECMAScript's Date parsing rule).
  const date = new Date(trimmed);
  if (Number.isNaN(date.getTime())) return "";
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
