/**
 * The audit log over HTTP (issue 13's contract, admins only): one page of events, newest first,
 * with the cursor of the next page, and the vocabulary the events are coded in (IHE ATNA / DICOM
 * PS3.15 audit message codes).
 */

import { getJson } from "../api/http";
import { type AuditFilters, eventsUrl } from "./filters";

/** A coded value: a DICOM audit code ("110110") and its display name ("Patient Record"). */
export interface Coded {
  code: string;
  display: string;
}

/** What an event touched: a patient, a study, a user, a device, a model version… */
export interface AuditObject {
  kind: string;
  identifier: string;
  name: string;
  extra: unknown;
}

export interface AuditUser {
  id: number;
  username: string;
  roles: string[];
}

export interface AuditEvent {
  id: number | string;
  /** ISO 8601 instant. */
  time: string;
  event: Coded;
  event_type: Coded | null;
  /** C, R, U, D or E (create, read, update, delete, execute). */
  action: string;
  /** "0" success, "4" minor, "8" serious, "12" major failure (the ATNA outcome indicator). */
  outcome: string | number;
  outcome_description: string;
  user: AuditUser | null;
  /** The client's address. */
  peer: string;
  /** Where the event came in: the web app, DICOMweb, DIMSE, a task… */
  source: string;
  method: string;
  path: string;
  status: number | null;
  objects: AuditObject[];
}

export interface AuditPage {
  results: AuditEvent[];
  next: string | null;
}

/** An outcome indicator (0, 4, 8, 12) and its meaning. */
export interface OutcomeCode {
  code: number | string;
  display: string;
}

/** The codes the filters offer, as GET /api/audit/vocabulary sends them (it sends more). */
export interface AuditVocabulary {
  /** The standard the codes come from, in words. */
  standard?: string;
  /** EventID codes: what the event filter takes. */
  events: Coded[];
  event_types?: Coded[];
  outcomes: OutcomeCode[];
}

export function listAuditEvents(
  filters: AuditFilters,
  cursor: string | null,
  limit: number,
  signal?: AbortSignal,
): Promise<AuditPage> {
  return getJson<AuditPage>(eventsUrl(filters, cursor, limit), signal ? { signal } : {});
}

export function getAuditVocabulary(signal?: AbortSignal): Promise<AuditVocabulary> {
  return getJson<AuditVocabulary>("/api/audit/vocabulary", signal ? { signal } : {});
}
