/**
 * The worklist page: filters, the sorted table, the selected study's details, paging, the live
 * connection, and the keyboard. The server sorts and pages; this page re-reads the page it shows
 * whenever the change feed announces something, and every 30 s (claims expire silently).
 */

import { ApiError } from "../api/http";
import { releaseStudy } from "../api/reading";
import { type WorklistPage, type WorklistRow, claimNextStudy, listWorklist } from "../api/worklist";
import { canRead } from "../app/roles";
import type { PageContext } from "../app/router";
import { readingPath } from "../app/routes";
import { openShortcutHelp } from "../app/shortcutHelp";
import {
  type ShortcutMap,
  actionFor,
  defaultShortcuts,
  isTyping,
  keyLabel,
  loadShortcuts,
} from "../app/shortcuts";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { createDetailsPanel } from "./detailsPanel";
import { createFilterBar } from "./filterBar";
import { type Connection, followWorklistChanges } from "./liveFeed";
import { RefreshScheduler } from "./refreshScheduler";
import { type RowChange, rowChanges } from "./rowChanges";
import { type ListClock, serverClockOffsetMs } from "./rowFormat";
import { SORT_LABELS } from "./sorting";
import { createWorklistTable } from "./worklistTable";
import {
  type WorklistState,
  lastPageOffset,
  pageOffset,
  rangeLabel,
  sameQuery,
  stateFromSearch,
  stateToSearch,
  toQuery,
  withFilters,
} from "./worklistState";

const FALLBACK_REFRESH_MS = 30_000;
const WORKLIST = { name: "The worklist", forbidden: "Your role may not see the worklist." };
const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline: refreshing every 30 s",
};

interface Shown {
  state: WorklistState;
  page: WorklistPage;
  clock: ListClock;
}

export function mountWorklistPage(root: HTMLElement, context: PageContext): () => void {
  const reader = canRead(context.me.roles);
  let unmounted = false;
  let state = stateFromSearch(window.location.search);
  let shown: Shown | null = null;
  let selectedUid: string | null = null;
  let shortcuts: ShortcutMap = defaultShortcuts();
  void loadShortcuts().then((loaded) => {
    shortcuts = loaded;
    nextButton.setAttribute("aria-keyshortcuts", shortcuts["worklist.nextUrgent"]);
    nextButton.title = `Key: ${keyLabel(shortcuts["worklist.nextUrgent"])}`;
  });

  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const notice = h("p", { class: "status notice", role: "status", "aria-live": "polite" });
  notice.textContent = context.takeNotice() ?? "";
  const empty = h("p", { class: "status empty-note", hidden: true });
  const banner = h("div", { class: "banner", role: "status", hidden: true });
  const connection = h("span", { class: "live-indicator", "data-state": "connecting", role: "status" });
  const orderLine = h("p", { class: "status order-line" });
  const range = h("span", { class: "pager-position", "aria-live": "polite" });
  const previous = h("button", { type: "button", disabled: true }, "‹ Previous");
  const next = h("button", { type: "button", disabled: true }, "Next ›");
  const nextButton = h("button", { type: "button", class: "next-urgent", hidden: !reader }, "Next urgent");
  const helpButton = h(
    "button",
    { type: "button", class: "button-quiet", "aria-haspopup": "dialog" },
    "Shortcuts ?",
  );

  const open = (uid: string): void => context.go(readingPath(uid));
  const details = createDetailsPanel(reader, open);
  const table = createWorklistTable({
    onSelect: (uid) => select(uid),
    onOpen: open,
    onSort: (sort) => change(withFilters(state, { sort })),
  });
  const filters = createFilterBar((values) => change(withFilters(state, values)));
  filters.set(state);
  table.setSort(state.sort);

  root.replaceChildren(
    h(
      "section",
      { class: "studies-panel", "aria-labelledby": "worklist-heading" },
      h("h1", { id: "worklist-heading", class: "visually-hidden" }, "Worklist"),
      filters.element,
      h(
        "div",
        { class: "worklist-toolbar" },
        connection,
        orderLine,
        h("span", { class: "spacer" }),
        nextButton,
        helpButton,
      ),
      banner,
      alert,
      table.element,
      empty,
      h("nav", { class: "pager", "aria-label": "Worklist pages" }, previous, range, next, notice),
    ),
    details.element,
  );

  function rows(): readonly WorklistRow[] {
    return shown?.page.results ?? [];
  }

  function select(uid: string | null, reveal = false): void {
    selectedUid = uid;
    table.select(uid, reveal);
    const clock = shown?.clock ?? { fetchedAtMs: Date.now(), clockOffsetMs: 0 };
    details.show(rows().find((row) => row.study_instance_uid === uid) ?? null, clock);
  }

  /** After a refresh: the same study if it is still here, else the row now at its old place. */
  function reselect(previousRows: readonly WorklistRow[]): void {
    const current = rows();
    if (selectedUid && current.some((row) => row.study_instance_uid === selectedUid)) {
      select(selectedUid);
      return;
    }
    const oldIndex = previousRows.findIndex((row) => row.study_instance_uid === selectedUid);
    const index = Math.min(Math.max(oldIndex, 0), current.length - 1);
    select(current[index]?.study_instance_uid ?? null);
  }

  async function load(signal: AbortSignal): Promise<void> {
    const requested = state;
    const fetchedAtMs = Date.now();
    let page: WorklistPage;
    try {
      page = await listWorklist(toQuery(requested), signal);
    } catch (error) {
      if (signal.aborted) return;
      showAlert(alert, describeError(error, "the worklist", WORKLIST));
      throw error;
    }
    // Superseded while the answer was on its way: the newer request will show its own.
    if (signal.aborted) return;
    // Reads emptied the last page: show the page that is now last.
    if (page.results.length === 0 && requested.offset > 0 && page.count > 0) {
      change({ ...requested, offset: lastPageOffset(page.count) });
      return;
    }
    alert.hidden = true;
    const sameList = shown !== null && sameQuery(shown.state, requested);
    const previousRows = rows();
    const changes = sameList
      ? rowChanges(
          previousRows.map((row) => row.study_instance_uid),
          page.results.map((row) => row.study_instance_uid),
        )
      : new Map<string, RowChange>();
    const clock = { fetchedAtMs, clockOffsetMs: serverClockOffsetMs(page.results, fetchedAtMs) };
    shown = { state: requested, page, clock };
    table.show(
      { rows: page.results, offset: page.offset, count: page.count, sameList, changes, ...clock },
      selectedUid,
    );
    if (sameList) reselect(previousRows);
    else select(page.results[0]?.study_instance_uid ?? null);
    showPaging(shown);
  }

  function showPaging({ state, page }: Shown): void {
    range.textContent = rangeLabel(page.offset, page.results.length, page.count);
    previous.disabled = pageOffset(page.offset, -1, page.count) === null;
    next.disabled = pageOffset(page.offset, 1, page.count) === null;
    const fifo = page.ordering.mode === "fifo";
    banner.hidden = !fifo;
    banner.className = fifo ? "banner banner-warning" : "banner";
    banner.textContent = fifo ? page.ordering.message : "";
    // In priority order the server's sentence says how it ranks (the banner, when it is FIFO).
    if (state.sort !== "priority") orderLine.textContent = `Sorted by ${SORT_LABELS[state.sort]}.`;
    else orderLine.textContent = fifo ? "" : page.ordering.message;
    empty.hidden = page.count > 0;
    empty.textContent =
      stateToSearch({ ...state, offset: 0 }) === ""
        ? "No study is waiting."
        : "No study matches these filters.";
  }

  const scheduler = new RefreshScheduler(load);

  function change(nextState: WorklistState): void {
    state = nextState;
    filters.set(state);
    table.setSort(state.sort);
    context.replaceSearch(stateToSearch(state));
    notice.textContent = "";
    scheduler.now();
  }

  function turnPage(step: number): void {
    const offset = shown ? pageOffset(state.offset, step, shown.page.count) : null;
    if (offset !== null) change({ ...state, offset });
  }

  function moveSelection(step: number): void {
    const current = rows();
    const index = current.findIndex((row) => row.study_instance_uid === selectedUid);
    const target = current[Math.min(Math.max(index + step, 0), current.length - 1)];
    if (target) select(target.study_instance_uid, true);
    table.grid.focus();
  }

  let claimingNext = false;
  async function openNextUrgent(): Promise<void> {
    if (!reader) {
      notice.textContent = "Only radiologists take studies to read.";
      return;
    }
    // Each request claims a study: a second press while one is on its way would hold two.
    if (claimingNext) return;
    claimingNext = true;
    notice.textContent = "Finding the most urgent unclaimed study…";
    try {
      const row = await claimNextStudy();
      // The reader went elsewhere meanwhile: give the study back rather than hold it unseen.
      if (unmounted) await releaseStudy(row.study_instance_uid);
      else open(row.study_instance_uid);
    } catch (error) {
      notice.textContent =
        error instanceof ApiError && error.kind === "not-found"
          ? "No unclaimed study is waiting."
          : describeError(error, "the next study", WORKLIST).text;
    } finally {
      claimingNext = false;
    }
  }

  function showHelp(): void {
    openShortcutHelp(shortcuts, "worklist").addEventListener("close", () => table.grid.focus());
  }

  const onKey = (event: KeyboardEvent): void => {
    if (event.defaultPrevented || document.querySelector("dialog[open]")) return;
    if (event.target === filters.searchBox && (event.key === "Escape" || event.key === "ArrowDown")) {
      event.preventDefault();
      table.grid.focus();
      return;
    }
    if (isTyping(event)) return;
    const action = actionFor(event, "worklist", shortcuts);
    // Enter and Space on a button or link press it, not the selected row.
    const onControl = event.target instanceof Element && event.target.closest("button, a, summary");
    if (action === null || (onControl && action === "worklist.open")) return;
    event.preventDefault();
    switch (action) {
      case "worklist.up":
        return moveSelection(-1);
      case "worklist.down":
        return moveSelection(1);
      case "worklist.open":
        if (selectedUid) open(selectedUid);
        return;
      case "worklist.nextUrgent":
        return void openNextUrgent();
      case "worklist.search":
        filters.searchBox.focus();
        filters.searchBox.select();
        return;
      case "worklist.pageDown":
        return turnPage(1);
      case "worklist.pageUp":
        return turnPage(-1);
      case "help":
        return showHelp();
    }
  };

  previous.addEventListener("click", () => turnPage(-1));
  next.addEventListener("click", () => turnPage(1));
  nextButton.addEventListener("click", () => void openNextUrgent());
  helpButton.addEventListener("click", showHelp);
  document.addEventListener("keydown", onKey);

  const stopFeed = followWorklistChanges({
    onChange: () => scheduler.soon(),
    onResumed: () => scheduler.soon(),
    onConnection: (state) => {
      connection.dataset["state"] = state;
      connection.textContent = CONNECTION_TEXT[state];
    },
  });
  const fallback = setInterval(() => scheduler.soon(), FALLBACK_REFRESH_MS);
  const ticker = setInterval(() => {
    const nowMs = Date.now();
    table.tick(nowMs);
    details.tick(nowMs);
  }, 1000);

  scheduler.now();
  table.grid.focus({ preventScroll: true });

  return () => {
    unmounted = true;
    document.removeEventListener("keydown", onKey);
    stopFeed();
    clearInterval(fallback);
    clearInterval(ticker);
    scheduler.cancel();
    root.replaceChildren();
  };
}
