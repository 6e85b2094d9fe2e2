/**
 * The worklist table: one dense row per study, keyboard-first. The table itself takes focus and
 * points at the selected row (aria-activedescendant, aria-selected); the page moves the
 * selection. Waiting and due times tick without re-reading the list. Rows that appeared or moved
 * in a live refresh carry data-moved until their highlight's time is up.
 */

import { formatDicomDate, formatPersonName } from "../api/format";
import type { SortName, WorklistRow } from "../api/worklist";
import { readingPath } from "../app/routes";
import { h } from "../pages/dom";
import { type ListClock, aiFlag, claimText, rowTimes } from "./rowFormat";
import { type Highlight, RecentChanges, type RowChange } from "./rowChanges";
import { type SortableColumn, SORT_LABELS, ariaSort, nextSort } from "./sorting";

export interface ShownRows extends ListClock {
  rows: readonly WorklistRow[];
  offset: number;
  count: number;
  /** True for a refresh of the list shown before (same filters, sort and page). */
  sameList: boolean;
  /** Rows new or moved since that list was last shown. */
  changes: ReadonlyMap<string, RowChange>;
}

export interface WorklistTable {
  element: HTMLElement;
  grid: HTMLTableElement;
  show(shown: ShownRows, selectedUid: string | null): void;
  select(uid: string | null, reveal?: boolean): void;
  setSort(sort: SortName): void;
  /** Update waiting and due times to `nowMs` (this browser's clock). */
  tick(nowMs: number): void;
}

interface Column {
  label: string;
  /** Numbers align right, in the header too. */
  numeric?: boolean;
  sort?: SortableColumn;
}

const COLUMNS: Column[] = [
  { label: "#", numeric: true },
  { label: "Priority", sort: "priority" },
  { label: "AI", sort: "ai" },
  { label: "Patient" },
  { label: "Accession" },
  { label: "Modality", sort: "modality" },
  { label: "Description" },
  { label: "Study date", sort: "studyDate" },
  { label: "Waiting", numeric: true, sort: "waiting" },
  { label: "Due" },
  { label: "Status", sort: "status" },
];
/** How long a row stays marked as appeared or moved (the CSS flash takes 3 s of it). */
export const HIGHLIGHT_MS = 4000;

interface TickingCells {
  row: WorklistRow;
  waiting: HTMLElement;
  due: HTMLElement;
}

export function rowId(uid: string): string {
  return `worklist-row-${uid}`;
}

function priorityBadge(row: WorklistRow): HTMLElement {
  return h(
    "span",
    { class: `badge badge-${row.clinical_priority.toLowerCase()}`, title: row.clinical_reason || undefined },
    row.clinical_priority,
  );
}

function aiBadge(row: WorklistRow): HTMLElement {
  const flag = aiFlag(row.ai);
  return h("span", { class: `ai-flag ai-${flag.tone}`, title: flag.title }, flag.text);
}

function patientCell(row: WorklistRow): HTMLElement {
  const name = formatPersonName(row.patient_name) || "(no name)";
  // A link for the mouse (and "open in new tab"); the keyboard opens rows with Enter instead.
  return h(
    "td",
    { class: "cell-name" },
    h("a", { href: readingPath(row.study_instance_uid), tabindex: -1 }, name),
    " ",
    h("span", { class: "patient-id" }, row.patient_id),
  );
}

function claimCell(row: WorklistRow): HTMLElement {
  const text = claimText(row);
  const tone = row.status === "read" ? "read" : row.claim?.mine ? "mine" : row.claim ? "other" : "none";
  return h("td", { class: `cell-claim claim-${tone}` }, text);
}

function sortHeader(column: Column, onSort: (sort: SortName) => void, current: () => SortName): HTMLElement {
  const th = h("th", { scope: "col", class: column.numeric ? "cell-number" : undefined });
  if (!column.sort) {
    th.textContent = column.label;
    return th;
  }
  const sortColumn = column.sort;
  const button = h(
    "button",
    { type: "button", class: "sort-button", "data-sort-column": sortColumn },
    column.label,
  );
  button.addEventListener("click", () => onSort(nextSort(sortColumn, current())));
  th.append(button);
  return th;
}

export function createWorklistTable(handlers: {
  onSelect(uid: string): void;
  onOpen(uid: string): void;
  onSort(sort: SortName): void;
}): WorklistTable {
  let sort: SortName = "priority";
  let ticking: TickingCells[] = [];
  let clock: ListClock = { fetchedAtMs: 0, clockOffsetMs: 0 };
  let highlightTimer: ReturnType<typeof setTimeout> | undefined;

  const headers = COLUMNS.map((column) => sortHeader(column, handlers.onSort, () => sort));
  const body = h("tbody");
  const grid = h(
    "table",
    {
      class: "studies worklist",
      role: "grid",
      "aria-label": "Worklist",
      "aria-multiselectable": "false",
      "aria-readonly": "true",
      tabindex: 0,
    },
    h("thead", {}, h("tr", {}, ...headers)),
    body,
  );
  const element = h("div", { class: "table-wrap worklist-wrap" }, grid);

  const renderRow = (
    row: WorklistRow,
    index: number,
    shown: ShownRows,
    highlights: ReadonlyMap<string, Highlight>,
  ): HTMLTableRowElement => {
    const waiting = h("td", { class: "cell-number cell-waiting" });
    const due = h("td", { class: "cell-due" });
    ticking.push({ row, waiting, due });
    const other = row.claim !== null && !row.claim.mine;
    const highlight = highlights.get(row.study_instance_uid);
    const tr = h(
      "tr",
      {
        id: rowId(row.study_instance_uid),
        "data-study-uid": row.study_instance_uid,
        "aria-selected": "false",
        "aria-rowindex": shown.offset + index + 2,
        "data-moved": highlight?.change,
        class:
          [other ? "is-claimed-by-other" : "", row.status === "read" ? "is-read" : ""].join(" ").trim() ||
          undefined,
      },
      h("td", { class: "cell-number" }, String(shown.offset + index + 1)),
      h("td", { class: "cell-priority" }, priorityBadge(row)),
      h("td", { class: "cell-ai" }, aiBadge(row)),
      patientCell(row),
      h("td", { class: "cell-mono" }, row.accession_number),
      h("td", { class: "cell-modality" }, row.modality),
      h(
        "td",
        { class: "cell-description", title: row.study_description || undefined },
        row.study_description,
      ),
      h("td", { class: "cell-mono cell-nowrap" }, formatDicomDate(row.study_date ?? "")),
      waiting,
      due,
      claimCell(row),
    );
    // A row rebuilt by the next refresh goes on flashing from where it was, not from the start.
    if (highlight) tr.style.animationDelay = `-${Math.round(highlight.ageMs)}ms`;
    return tr;
  };

  const recent = new RecentChanges(HIGHLIGHT_MS);
  /** Unmark rows whose highlight is over; come back when the next one ends. */
  const clearExpired = (): void => {
    clearTimeout(highlightTimer);
    const active = recent.active(Date.now());
    for (const tr of body.querySelectorAll<HTMLTableRowElement>("tr[data-moved]")) {
      if (active.has(tr.dataset["studyUid"] ?? "")) continue;
      tr.removeAttribute("data-moved");
      tr.style.removeProperty("animation-delay");
    }
    const ages = [...active.values()].map((highlight) => highlight.ageMs);
    if (ages.length > 0) highlightTimer = setTimeout(clearExpired, HIGHLIGHT_MS - Math.max(...ages));
  };

  const tick = (nowMs: number): void => {
    for (const cells of ticking) {
      const { waiting, due } = rowTimes(cells.row, clock, nowMs);
      cells.waiting.textContent = waiting;
      cells.due.textContent = due.text;
      cells.due.classList.toggle("is-overdue", due.overdue);
    }
  };

  /** Mark the selected row; `reveal` scrolls it into view (keyboard moves, not live refreshes). */
  const select = (uid: string | null, reveal = false): void => {
    let selected: HTMLTableRowElement | null = null;
    for (const tr of body.rows) {
      const isSelected = tr.dataset["studyUid"] === uid;
      tr.setAttribute("aria-selected", String(isSelected));
      if (isSelected) selected = tr;
    }
    if (selected) {
      grid.setAttribute("aria-activedescendant", selected.id);
      if (reveal) selected.scrollIntoView({ block: "nearest" });
    } else {
      grid.removeAttribute("aria-activedescendant");
    }
  };

  const rowUid = (event: Event): string | undefined =>
    (event.target instanceof Element ? event.target.closest("tr") : null)?.dataset["studyUid"];
  body.addEventListener("click", (event) => {
    const uid = rowUid(event);
    if (uid) handlers.onSelect(uid);
  });
  body.addEventListener("dblclick", (event) => {
    const uid = rowUid(event);
    if (uid) handlers.onOpen(uid);
  });

  const setSort = (next: SortName): void => {
    sort = next;
    headers.forEach((th, index) => {
      const column = COLUMNS[index]?.sort;
      if (!column) return;
      const direction = ariaSort(column, sort);
      if (direction === "none") th.removeAttribute("aria-sort");
      else th.setAttribute("aria-sort", direction);
      th.title = direction === "none" ? "" : `Sorted: ${SORT_LABELS[sort]}`;
    });
  };
  setSort(sort);

  return {
    element,
    grid,
    show(shown, selectedUid) {
      clock = { fetchedAtMs: shown.fetchedAtMs, clockOffsetMs: shown.clockOffsetMs };
      ticking = [];
      const now = Date.now();
      if (!shown.sameList) {
        recent.clear();
        element.scrollTop = 0;
      }
      recent.add(shown.changes, now);
      const highlights = recent.active(now);
      grid.setAttribute("aria-rowcount", String(shown.count + 1));
      body.replaceChildren(...shown.rows.map((row, index) => renderRow(row, index, shown, highlights)));
      tick(now);
      select(selectedUid);
      clearExpired();
    },
    select,
    setSort,
    tick,
  };
}
