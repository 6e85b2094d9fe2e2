/** The study search form: patient name, patient ID, accession, modality, study date range. */

import { EMPTY_SEARCH, type StudySearch } from "../../api/qido";
import { field, h } from "../dom";
import { MODALITIES } from "../modalities";

export interface SearchForm {
  element: HTMLFormElement;
  set(search: StudySearch): void;
}

export function createSearchForm(onSearch: (search: StudySearch) => void): SearchForm {
  const inputs = {
    patientName: h("input", { name: "patientName", type: "search", autocomplete: "off" }),
    patientId: h("input", { name: "patientId", type: "search", autocomplete: "off" }),
    accessionNumber: h("input", { name: "accessionNumber", type: "search", autocomplete: "off" }),
    modality: h(
      "select",
      { name: "modality" },
      h("option", { value: "" }, "Any"),
      ...MODALITIES.map((modality) => h("option", { value: modality }, modality)),
    ),
    studyDateFrom: h("input", { name: "studyDateFrom", type: "date" }),
    studyDateTo: h("input", { name: "studyDateTo", type: "date" }),
  } satisfies Record<keyof StudySearch, HTMLInputElement | HTMLSelectElement>;

  const clear = h("button", { type: "button", class: "button-quiet" }, "Clear");
  const element = h(
    "form",
    { class: "search", role: "search", "aria-label": "Search studies" },
    field("Patient name", inputs.patientName),
    field("Patient ID", inputs.patientId),
    field("Accession", inputs.accessionNumber),
    field("Modality", inputs.modality),
    field("Study date from", inputs.studyDateFrom),
    field("to", inputs.studyDateTo),
    h("div", { class: "search-actions" }, h("button", { type: "submit" }, "Search"), clear),
  );

  const read = (): StudySearch => ({
    patientName: inputs.patientName.value,
    patientId: inputs.patientId.value,
    accessionNumber: inputs.accessionNumber.value,
    modality: inputs.modality.value,
    studyDateFrom: inputs.studyDateFrom.value,
    studyDateTo: inputs.studyDateTo.value,
  });
  const set = (search: StudySearch): void => {
    for (const key of Object.keys(inputs) as (keyof StudySearch)[]) {
      inputs[key].value = search[key];
    }
  };

  element.addEventListener("submit", (event) => {
    event.preventDefault();
    onSearch(read());
  });
  clear.addEventListener("click", () => {
    set(EMPTY_SEARCH);
    onSearch(read());
    inputs.patientName.focus();
  });
  return { element, set };
}
