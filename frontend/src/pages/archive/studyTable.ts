/**
 * The study list: one row per study, keyboard navigable. Up/Down (and Home/End) move between
 * rows, Enter or Space opens the focused study; only one row is in the tab order at a time.
 * For roles that may open the viewer, each row ends in a link to the study's reading page (out
 * of the tab order like the rows' cells; the series panel of the open study has one in it).
 */

import { formatDicomDate, formatDicomTime, formatPersonName } from "../../api/format";
import type { StudySummary } from "../../api/qido";
import { h } from "../dom";

export interface StudyTable {
  element: HTMLElement;
  show(studies: StudySummary[]): void;
  markOpen(studyInstanceUid: string | undefined): void;
  focusRow(studyInstanceUid: string): void;
}

const COLUMNS = [
  "Patient name",
  "Patient ID",
  "Study date",
  "Modalities",
  "Description",
  "Accession",
  "Series / instances",
];

function counts(study: StudySummary): string {
  const series = study.numberOfSeries ?? "–";
  const instances = study.numberOfInstances ?? "–";
  return `${series} / ${instances}`;
}

/** Where a study opens in the viewer, or null for a role that may not open it. */
export type ViewerHref = ((studyInstanceUid: string) => string) | null;

function viewerCell(study: StudySummary, name: string, viewerHref: ViewerHref): HTMLElement | null {
  if (!viewerHref) return null;
  return h(
    "td",
    { class: "cell-action" },
    h(
      "a",
      {
        class: "open-viewer",
        href: viewerHref(study.studyInstanceUid),
        tabindex: -1,
        "aria-label": `Open ${name} in the viewer`,
      },
      "Open",
    ),
  );
}

function studyRow(study: StudySummary, viewerHref: ViewerHref): HTMLTableRowElement {
  const name = formatPersonName(study.patientName) || "(no name)";
  const time = formatDicomTime(study.studyTime);
  return h(
    "tr",
    { tabindex: -1, "data-study-uid": study.studyInstanceUid, "aria-label": `${name}, ${study.patientId}` },
    h("td", { class: "cell-name" }, name),
    h("td", { class: "cell-mono" }, study.patientId),
    h(
      "td",
      { class: "cell-mono cell-nowrap", title: time ? `${formatDicomDate(study.studyDate)} ${time}` : undefined },
      formatDicomDate(study.studyDate),
    ),
    h("td", {}, study.modalities.join(", ")),
    h("td", { class: "cell-description", title: study.description || undefined }, study.description),
    h("td", { class: "cell-mono" }, study.accessionNumber),
    h("td", { class: "cell-number" }, counts(study)),
    viewerCell(study, name, viewerHref),
  );
}

export function createStudyTable(
  onOpen: (study: StudySummary) => void,
  viewerHref: ViewerHref,
): StudyTable {
  const body = h("tbody");
  const columns = viewerHref ? [...COLUMNS, "Viewer"] : COLUMNS;
  const element = h(
    "table",
    { class: "studies", "aria-label": "Studies" },
    h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col" }, column)))),
    body,
  );
  let studies: StudySummary[] = [];
  let rows: HTMLTableRowElement[] = [];

  const setActive = (index: number, focus: boolean): void => {
    const target = rows[Math.max(0, Math.min(index, rows.length - 1))];
    if (!target) return;
    for (const row of rows) row.tabIndex = row === target ? 0 : -1;
    if (focus) target.focus();
  };
  const indexOf = (row: Element | null): number => rows.indexOf(row as HTMLTableRowElement);

  body.addEventListener("click", (event) => {
    // The viewer link navigates (the router takes it); it does not also open the series.
    if ((event.target as Element).closest("a[href]")) return;
    const row = (event.target as Element).closest("tr");
    const index = indexOf(row);
    const study = studies[index];
    if (!study) return;
    setActive(index, true);
    onOpen(study);
  });
  body.addEventListener("keydown", (event) => {
    const index = indexOf(event.target as Element);
    if (index < 0) return;
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: rows.length - 1,
    };
    const next = moves[event.key];
    if (next !== undefined) {
      event.preventDefault();
      setActive(next, true);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      const study = studies[index];
      if (study) onOpen(study);
    }
  });

  return {
    element,
    show(next) {
      studies = next;
      rows = next.map((study) => studyRow(study, viewerHref));
      body.replaceChildren(...rows);
      setActive(0, false);
    },
    markOpen(studyInstanceUid) {
      for (const row of rows) {
        const open = row.dataset["studyUid"] === studyInstanceUid;
        row.classList.toggle("is-open", open);
        if (open) row.setAttribute("aria-current", "true");
        else row.removeAttribute("aria-current");
      }
    },
    focusRow(studyInstanceUid) {
      const index = rows.findIndex((row) => row.dataset["studyUid"] === studyInstanceUid);
      if (index >= 0) setActive(index, true);
    },
  };
}
