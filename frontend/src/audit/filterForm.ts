/** The audit page's filter form: user, patient, study, event, outcome, and a from/to time. */

import { field, h } from "../pages/dom";
import type { AuditVocabulary, Coded, OutcomeCode } from "./auditApi";
import { type AuditFilters, NO_FILTERS, fromLocalInput, toLocalInput } from "./filters";

export interface FilterForm {
  element: HTMLFormElement;
  /** Show these filters in the controls. */
  set(filters: AuditFilters): void;
  /** Offer the vocabulary's events and outcomes (keeps the filters shown). */
  setVocabulary(vocabulary: AuditVocabulary): void;
  /** Move the keyboard to a filter's control (after a click in the table set it). */
  focus(key: keyof AuditFilters): void;
}

function options(select: HTMLSelectElement, codes: readonly (Coded | OutcomeCode)[]): void {
  select.replaceChildren(
    h("option", { value: "" }, "Any"),
    ...codes.map((coded) => h("option", { value: String(coded.code) }, coded.display || String(coded.code))),
  );
}

/** A select that keeps a value it has no option for yet (from a link, before the vocabulary). */
function choose(select: HTMLSelectElement, value: string): void {
  if (value && ![...select.options].some((option) => option.value === value)) {
    select.append(h("option", { value }, value));
  }
  select.value = value;
}

/**
 * A labelled select: named by its label's words alone (aria-labelledby), not by the words of
 * every option inside the wrapping label, which is what a screen reader would read otherwise.
 */
function selectField(label: string, select: HTMLSelectElement): HTMLElement {
  const id = `audit-filter-${select.name}-label`;
  select.setAttribute("aria-labelledby", id);
  return h("label", { class: "field" }, h("span", { class: "field-label", id }, label), select);
}

export function createFilterForm(onFilter: (filters: AuditFilters) => void): FilterForm {
  const text = (name: string) => h("input", { name, type: "search", autocomplete: "off", spellcheck: "false" });
  const inputs = {
    user: text("user"),
    patient: text("patient"),
    study: text("study"),
    event: h("select", { name: "event" }, h("option", { value: "" }, "Any")),
    outcome: h("select", { name: "outcome" }, h("option", { value: "" }, "Any")),
    since: h("input", { name: "since", type: "datetime-local" }),
    until: h("input", { name: "until", type: "datetime-local" }),
  };
  inputs.study.classList.add("audit-uid-input");

  const clear = h("button", { type: "button", class: "button-quiet" }, "Clear");
  const element = h(
    "form",
    { class: "search audit-filters", role: "search", "aria-label": "Filter audit events" },
    field("User", inputs.user),
    field("Patient (ID or name)", inputs.patient),
    field("Study UID", inputs.study),
    selectField("Event", inputs.event),
    selectField("Outcome", inputs.outcome),
    field("From", inputs.since),
    field("To", inputs.until),
    h("div", { class: "search-actions" }, h("button", { type: "submit" }, "Filter"), clear),
  );

  const read = (): AuditFilters => ({
    user: inputs.user.value.trim(),
    patient: inputs.patient.value.trim(),
    study: inputs.study.value.trim(),
    event: inputs.event.value,
    outcome: inputs.outcome.value,
    since: fromLocalInput(inputs.since.value),
    until: fromLocalInput(inputs.until.value),
  });
  let shown: AuditFilters = NO_FILTERS;
  const set = (filters: AuditFilters): void => {
    shown = filters;
    inputs.user.value = filters.user;
    inputs.patient.value = filters.patient;
    inputs.study.value = filters.study;
    choose(inputs.event, filters.event);
    choose(inputs.outcome, filters.outcome);
    inputs.since.value = toLocalInput(filters.since);
    inputs.until.value = toLocalInput(filters.until);
  };

  element.addEventListener("submit", (event) => {
    event.preventDefault();
    onFilter(read());
  });
  clear.addEventListener("click", () => {
    set(NO_FILTERS);
    onFilter(read());
  });

  return {
    element,
    set,
    setVocabulary(vocabulary) {
      options(inputs.event, vocabulary.events);
      options(inputs.outcome, vocabulary.outcomes);
      set(shown);
    },
    focus(key) {
      inputs[key].focus();
    },
  };
}
