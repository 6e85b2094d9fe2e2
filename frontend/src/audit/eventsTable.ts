/**
 * The audit events as a table, newest first: time, user, event, action, outcome (failures
 * marked), where from, the patient and study (buttons that filter by them), and the request.
 */

import { localDateTime } from "../api/format";
import { h } from "../pages/dom";
import type { AuditEvent, AuditObject } from "./auditApi";
import {
  type ObjectFilter,
  actionLabel,
  eventLabel,
  exactLocalTime,
  isFailure,
  objectFilter,
  objectLabel,
  outcomeLabel,
  requestLabel,
  sortedObjects,
  sourceLabel,
  userLabel,
} from "./format";

export interface EventsTable {
  element: HTMLTableElement;
  /** Replace the rows (a new filter) or add them under the others (Load more). */
  show(events: readonly AuditEvent[], append: boolean): void;
}

const HEADINGS = ["Time", "User", "Event", "Action", "Outcome", "From", "Patient / study", "Request"];

function objectCell(
  objects: readonly AuditObject[],
  onFilter: (filter: ObjectFilter, value: string) => void,
): HTMLTableCellElement {
  const items = sortedObjects(objects).map((object) => {
    const filter = objectFilter(object);
    const label = objectLabel(object);
    if (!filter || !object.identifier) return h("li", {}, label);
    const button = h(
      "button",
      {
        type: "button",
        class: "audit-link",
        "data-filter": filter,
        title: `Show only the events of this ${filter}`,
      },
      label,
    );
    button.addEventListener("click", () => onFilter(filter, object.identifier));
    return h("li", {}, button);
  });
  return h("td", { class: "audit-objects" }, items.length ? h("ul", {}, ...items) : "");
}

function outcomeCell(event: AuditEvent): HTMLTableCellElement {
  const failed = isFailure(event.outcome);
  return h(
    "td",
    { class: failed ? "audit-outcome is-failure" : "audit-outcome" },
    failed ? "✗ " : "",
    outcomeLabel(event.outcome),
    event.outcome_description ? h("span", { class: "audit-outcome-detail" }, event.outcome_description) : "",
  );
}

/** The codes behind the event's words ("110110 / 110103"), for the cell's tooltip. */
function codesOf(event: AuditEvent): string {
  return event.event_type ? `${event.event.code} / ${event.event_type.code}` : event.event.code;
}

function row(event: AuditEvent, onFilter: (filter: ObjectFilter, value: string) => void): HTMLTableRowElement {
  const roles = event.user?.roles.join(", ") ?? "";
  return h(
    "tr",
    { class: isFailure(event.outcome) ? "is-failure" : undefined, "data-event-id": String(event.id) },
    h(
      "td",
      { class: "cell-nowrap" },
      h("time", { datetime: event.time, title: exactLocalTime(event.time) }, localDateTime(event.time)),
    ),
    h(
      "td",
      { class: "cell-nowrap" },
      h("span", { class: "cell-name" }, userLabel(event.user)),
      roles ? h("span", { class: "audit-roles" }, roles) : "",
    ),
    h("td", { title: codesOf(event) }, eventLabel(event.event, event.event_type)),
    h("td", {}, actionLabel(event.action)),
    outcomeCell(event),
    h("td", { class: "cell-nowrap" }, sourceLabel(event)),
    objectCell(event.objects, onFilter),
    h("td", { class: "cell-mono audit-request" }, requestLabel(event)),
  );
}

export function createEventsTable(onFilter: (filter: ObjectFilter, value: string) => void): EventsTable {
  const body = h("tbody");
  const element = h(
    "table",
    { class: "studies audit-table", "data-testid": "audit-events" },
    h("caption", { class: "visually-hidden" }, "Audit events, newest first"),
    h("thead", {}, h("tr", {}, ...HEADINGS.map((heading) => h("th", { scope: "col" }, heading)))),
    body,
  );
  return {
    element,
    show(events, append) {
      const rows = events.map((event) => row(event, onFilter));
      if (append) body.append(...rows);
      else body.replaceChildren(...rows);
    },
  };
}
