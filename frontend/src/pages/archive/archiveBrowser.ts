/**
 * The archive browser page: search studies, page through them (with the archive's total), open
 * one to see its series, and open it in the reading viewer as the worklist does.
 */

import { type StudySearch, type StudySummary, searchStudies } from "../../api/qido";
import { canSeeWorklist } from "../../app/roles";
import { readingPath } from "../../app/routes";
import { showAlert } from "../alert";
import { h } from "../dom";
import { describeError } from "../messages";
import { type BrowserState, hasNextPage, pageLabel, stateFromQuery, stateToQuery } from "./searchState";
import { createSearchForm } from "./searchForm";
import { createSeriesPanel } from "./seriesPanel";
import { type ViewerHref, createStudyTable } from "./studyTable";
import "./archive.css";

export const PAGE_SIZE = 50;

/**
 * Mount the page into `root`; returns a function that unmounts it, abandoning open requests.
 * `roles`: those who may see the worklist open its studies in the viewer from here too.
 */
export function mountArchiveBrowser(root: HTMLElement, roles: readonly string[]): () => void {
  const viewerHref: ViewerHref = canSeeWorklist(roles) ? readingPath : null;
  let state: BrowserState = stateFromQuery(window.location.search);
  let controller: AbortController | undefined;

  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const previous = h("button", { type: "button", disabled: true }, "‹ Previous");
  const next = h("button", { type: "button", disabled: true }, "Next ›");
  const position = h("span", { class: "pager-position" });

  const series = createSeriesPanel((study, returnFocus) => {
    table.markOpen(undefined);
    if (returnFocus) table.focusRow(study.studyInstanceUid);
  }, viewerHref);
  const openStudy = (study: StudySummary): void => {
    table.markOpen(study.studyInstanceUid);
    void series.open(study);
  };
  const table = createStudyTable(openStudy, viewerHref);
  const form = createSearchForm((search: StudySearch) => {
    void load({ search, offset: 0 });
  });
  form.set(state.search);

  root.replaceChildren(
    h(
      "section",
      { class: "studies-panel", "aria-labelledby": "studies-heading" },
      h("h1", { id: "studies-heading", class: "visually-hidden" }, "Studies"),
      form.element,
      alert,
      h("div", { class: "table-wrap" }, table.element),
      h(
        "nav",
        { class: "pager", "aria-label": "Study pages" },
        previous,
        position,
        next,
        status,
      ),
    ),
    series.element,
  );

  async function load(nextState: BrowserState): Promise<void> {
    controller?.abort();
    controller = new AbortController();
    state = nextState;
    window.history.replaceState(null, "", window.location.pathname + stateToQuery(state));
    alert.hidden = true;
    status.textContent = "Loading studies…";
    previous.disabled = true;
    next.disabled = true;
    series.close(false);
    try {
      const { studies, total } = await searchStudies(
        state.search,
        { offset: state.offset, limit: PAGE_SIZE },
        controller.signal,
      );
      table.show(studies);
      position.textContent = pageLabel(state.offset, studies.length, total);
      status.textContent = studies.length ? "" : "No studies match this search.";
      previous.disabled = state.offset === 0;
      next.disabled = !hasNextPage(state.offset, studies.length, PAGE_SIZE, total);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      table.show([]);
      position.textContent = "";
      status.textContent = "";
      previous.disabled = state.offset === 0;
      showAlert(alert, describeError(error, "studies"));
    }
  }

  previous.addEventListener("click", () => {
    void load({ ...state, offset: Math.max(0, state.offset - PAGE_SIZE) });
  });
  next.addEventListener("click", () => {
    void load({ ...state, offset: state.offset + PAGE_SIZE });
  });
  void load(state);
  return () => {
    controller?.abort();
    series.close(false);
    root.replaceChildren();
  };
}
