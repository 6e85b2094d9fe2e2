/** How an audit event reads in the table: pure functions over the API's fields. */

import { formatPersonName } from "../api/format";
import type { AuditEvent, AuditObject, AuditUser, Coded } from "./auditApi";

/** The ATNA action codes (DICOM PS3.15 A.5.1, EventActionCode). */
const ACTIONS: Record<string, string> = {
  C: "Create",
  R: "Read",
  U: "Update",
  D: "Delete",
  E: "Execute",
};

/** The ATNA outcome indicator's meanings (EventOutcomeIndicator). */
const OUTCOMES: Record<string, string> = {
  "0": "Success",
  "4": "Minor failure",
  "8": "Serious failure",
  "12": "Major failure",
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

/** "Success", "Serious failure"; an unknown code as given. */
export function outcomeLabel(outcome: string | number): string {
  const code = String(outcome);
  return OUTCOMES[code] ?? code;
}

/** Anything but success (ATNA's "0") is a failure the page marks. */
export function isFailure(outcome: string | number): boolean {
  return String(outcome) !== "0";
}

/** "reviewer-user", or "(no user)" for an event nobody signed in caused (a failed login). */
export function userLabel(user: AuditUser | null): string {
  return user ? user.username : "(no user)";
}

/** "Patient Record · Read": the event and, when it has one, its type. */
export function eventLabel(event: Coded, type: Coded | null): string {
  const main = event.display || event.code;
  const detail = type ? type.display || type.code : "";
  return detail ? `${main} · ${detail}` : main;
}

/** "GET /dicomweb/studies → 200"; "" for an event that was no HTTP request (a DIMSE store). */
export function requestLabel(event: Pick<AuditEvent, "method" | "path" | "status">): string {
  const request = [event.method, event.path].filter(Boolean).join(" ");
  if (!request) return event.status ? String(event.status) : "";
  return event.status ? `${request} → ${event.status}` : request;
}

/** "web 10.0.0.7": where the event came in, and from which address. */
export function sourceLabel(event: Pick<AuditEvent, "source" | "peer">): string {
  return [event.source, event.peer].filter(Boolean).join(" ");
}

/** The filter a click on an object sets: patients and studies, the two the page filters by. */
export type ObjectFilter = "patient" | "study";

export function objectFilter(object: AuditObject): ObjectFilter | null {
  const kind = object.kind.toLowerCase();
  if (kind === "patient") return "patient";
  if (kind === "study") return "study";
  return null;
}

/** "Patient Doe, Jane (PID-1)", "Study 1.2.3", "User reviewer-user". */
export function objectLabel(object: AuditObject): string {
  const kind = object.kind ? object.kind[0]?.toUpperCase() + object.kind.slice(1) : "Object";
  const given = object.name && object.name !== object.identifier ? object.name : "";
  // A patient's name is a DICOM person name ("Doe^Jane"): written as the reading page writes it.
  const name = objectFilter(object) === "patient" ? formatPersonName(given) : given;
  if (name && object.identifier) return `${kind} ${name} (${object.identifier})`;
  return `${kind} ${name || object.identifier}`.trim();
}

/** Patients and studies first (what the admin looks for), then the rest, as the server sent them. */
export function sortedObjects(objects: readonly AuditObject[]): AuditObject[] {
  const rank = (object: AuditObject): number => {
    const filter = objectFilter(object);
    return filter === "patient" ? 0 : filter === "study" ? 1 : 2;
  };
  return [...objects].sort((a, b) => rank(a) - rank(b));
}

/** "2026-11-30 04:40:12 (UTC+01:00)": an event's time to the second, for the time cell's
 * tooltip (the cell shows minutes, as the other pages do; an audit often needs the seconds). */
export function exactLocalTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number): string => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const zone = `UTC${offset < 0 ? "-" : "+"}${two(Math.trunc(offset / 60))}:${two(offset % 60)}`;
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} (${zone})`
  );
}
