/**
 * /audit: the admin's view of the audit log. Filters (user, patient, study, event, outcome,
 * from/to) live in the address bar, so a filtered view can be bookmarked and shared; the events
 * come newest first, 50 at a time with "Load more"; a patient or study in a row filters by it;
 * "Download CSV" exports every event the filters select.
 */

import "./audit.css";

import type { PageContext } from "../app/router";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { getAuditVocabulary, listAuditEvents } from "./auditApi";
import { createEventsTable } from "./eventsTable";
import { createFilterForm } from "./filterForm";
import { type AuditFilters, csvUrl, filtersFromQuery, filtersToQuery, isUnfiltered } from "./filters";

export const PAGE_SIZE = 50;

const AUDIT = { name: "The audit log", forbidden: "Your role may not see the audit log." };

const COUNT = new Intl.NumberFormat("en-US");

/** "1 event shown", "120 events shown, more below": what the table holds so far. */
function shownLabel(count: number, more: boolean): string {
  const events = `${COUNT.format(count)} ${count === 1 ? "event" : "events"} shown`;
  return more ? `${events}; Load more for older ones.` : `${events}, the oldest last.`;
}

export function mountAuditPage(root: HTMLElement, context: PageContext): () => void {
  const page = new AbortController();
  let request: AbortController | undefined;
  let filters: AuditFilters = filtersFromQuery(window.location.search);
  let next: string | null = null;
  let shown = 0;

  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const empty = h("p", { class: "audit-empty", hidden: true });
  const standard = h("span", { class: "audit-standard" });
  const loadMore = h("button", { type: "button", hidden: true }, "Load more");
  const csv = h("a", { class: "audit-csv", href: csvUrl(filters), download: "" }, "Download CSV");

  const form = createFilterForm((chosen) => apply(chosen));
  const table = createEventsTable((filter, value) => {
    apply({ ...filters, [filter]: value });
    form.focus(filter);
  });
  form.set(filters);

  function apply(chosen: AuditFilters): void {
    filters = chosen;
    form.set(filters);
    context.replaceSearch(filtersToQuery(filters));
    csv.href = csvUrl(filters);
    void load(false);
  }

  async function load(more: boolean): Promise<void> {
    request?.abort();
    const current = new AbortController();
    request = current;
    alert.hidden = true;
    status.textContent = "Loading audit events…";
    loadMore.disabled = true;
    try {
      const result = await listAuditEvents(filters, more ? next : null, PAGE_SIZE, current.signal);
      table.show(result.results, more);
      shown = (more ? shown : 0) + result.results.length;
      next = result.next;
      loadMore.hidden = next === null;
      table.element.hidden = shown === 0;
      empty.hidden = shown > 0;
      empty.textContent = isUnfiltered(filters)
        ? "The audit log is empty."
        : "No audit event matches these filters.";
      status.textContent = shown > 0 ? shownLabel(shown, next !== null) : "";
    } catch (error) {
      if (current.signal.aborted) return;
      if (!more) {
        // Rows of the previous filters must not pass for the answer to these.
        table.show([], false);
        shown = 0;
        next = null;
        loadMore.hidden = true;
        empty.hidden = true;
      }
      status.textContent = "";
      showAlert(alert, describeError(error, "the audit events", AUDIT));
    } finally {
      loadMore.disabled = false;
    }
  }

  loadMore.addEventListener("click", () => {
    void load(true);
  });

  root.replaceChildren(
    h(
      "section",
      { class: "audit-page", "aria-labelledby": "audit-heading", "data-testid": "audit" },
      h(
        "div",
        { class: "audit-head" },
        h("h1", { id: "audit-heading" }, "Audit log"),
        h(
          "p",
          { class: "muted" },
          "Who looked at or changed what, and when: every access to patient data, label and model " +
            "change, change of users, roles and devices, and sign-in. ",
          standard,
        ),
        csv,
      ),
      form.element,
      alert,
      h("div", { class: "table-wrap" }, table.element, empty),
      h("nav", { class: "pager", "aria-label": "Audit events" }, loadMore, status),
    ),
  );

  getAuditVocabulary(page.signal)
    .then((vocabulary) => {
      form.setVocabulary(vocabulary);
      if (vocabulary.standard) standard.textContent = `Coded as ${vocabulary.standard}.`;
    })
    .catch((error: unknown) => {
      // The events' own request says the same when the role is refused: one alert is enough.
      if (!page.signal.aborted && alert.hidden) showAlert(alert, describeError(error, "the event types", AUDIT));
    });
  void load(false);

  return () => {
    page.abort();
    request?.abort();
    root.replaceChildren();
  };
}
