/**
 * The selected study in full: who and what, its clinical priority and the AI's answer, and the
 * reasons for its place in the list, in the server's words. The Read (or View) button opens it.
 */

import { formatDicomDate, formatPersonName } from "../api/format";
import type { WorklistRow } from "../api/worklist";
import { h } from "../pages/dom";
import { formatInstant } from "../pages/time";
import { type ListClock, aiFlag, placementReasons, timeReasons } from "./rowFormat";

export interface DetailsPanel {
  element: HTMLElement;
  /** Show `row`, fetched on `clock`; null: nothing selected. */
  show(row: WorklistRow | null, clock: ListClock): void;
  /** Update the waiting and due lines to `nowMs` (this browser's clock), as the table does. */
  tick(nowMs: number): void;
}

function definitions(pairs: [string, string][]): HTMLElement {
  return h(
    "dl",
    { class: "details-times" },
    ...pairs.filter(([, value]) => value).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

function claimLine(row: WorklistRow): string {
  if (!row.claim)
    return row.status === "read" ? `Read ${formatInstant(row.read_at)}` : "Nobody is reading it.";
  const since = formatInstant(row.claim.claimed_at);
  return row.claim.mine
    ? `You are reading it (since ${since}).`
    : `${row.claim.by} is reading it (since ${since}); you can view it.`;
}

/** `canRead`: radiologists read (and claim); other roles only view. */
export function createDetailsPanel(canRead: boolean, onOpen: (uid: string) => void): DetailsPanel {
  const body = h(
    "div",
    { class: "details-body" },
    h("p", { class: "muted" }, "Select a study to see why it is here."),
  );
  const element = h(
    "aside",
    { class: "details-panel", "aria-labelledby": "details-heading" },
    h("h2", { id: "details-heading" }, "Selected study"),
    body,
  );

  // The time-dependent reasons tick with the table's cells, from the same function and clock.
  let ticking: { row: WorklistRow; clock: ListClock; items: HTMLLIElement[] } | null = null;
  const tick = (nowMs: number): void => {
    if (!ticking) return;
    const lines = timeReasons(ticking.row, ticking.clock, nowMs);
    ticking.items.forEach((item, index) => (item.textContent = lines[index] ?? ""));
  };

  const show = (row: WorklistRow | null, clock: ListClock): void => {
    ticking = null;
    if (!row) {
      body.replaceChildren(h("p", { class: "muted" }, "Select a study to see why it is here."));
      return;
    }
    const flag = aiFlag(row.ai);
    const heldByOther = row.claim !== null && !row.claim.mine;
    const open = h(
      "button",
      { type: "button", class: "details-open", "aria-keyshortcuts": "Enter" },
      canRead && row.status === "waiting" && !heldByOther ? "Read" : "View",
    );
    open.addEventListener("click", () => onOpen(row.study_instance_uid));
    const timeItems = timeReasons(row, clock, Date.now()).map((line) => h("li", {}, line));
    ticking = { row, clock, items: timeItems };
    body.replaceChildren(
      h(
        "p",
        { class: "details-patient" },
        h("strong", {}, formatPersonName(row.patient_name) || "(no name)"),
        ` · ${row.patient_id}`,
      ),
      h(
        "p",
        { class: "details-study" },
        [row.accession_number, row.modality, formatDicomDate(row.study_date ?? ""), row.study_description]
          .filter(Boolean)
          .join(" · "),
      ),
      h(
        "p",
        {},
        h("span", { class: `badge badge-${row.clinical_priority.toLowerCase()}` }, row.clinical_priority),
        " ",
        row.clinical_reason,
      ),
      h(
        "p",
        {},
        h("span", { class: `ai-flag ai-${flag.tone}` }, flag.text),
        " ",
        // The server's note says it best (model, probability, threshold, or why there is none).
        row.ai.note || flag.title,
      ),
      h("h3", {}, "Why it is here"),
      h(
        "ul",
        { class: "details-reasons", "data-testid": "reasons" },
        ...placementReasons(row).map((reason) => h("li", {}, reason)),
        ...timeItems,
      ),
      definitions([
        ["Received", formatInstant(row.received_at)],
        ["Scored", formatInstant(row.scored_at)],
        ["Due", formatInstant(row.due_at)],
        ["First opened", formatInstant(row.first_opened_at)],
        ["Read", formatInstant(row.read_at)],
        ["Instances", String(row.num_instances)],
      ]),
      h("p", { class: `details-claim${heldByOther ? " claim-other" : ""}` }, claimLine(row)),
      open,
    );
  };

  return { element, show, tick };
}
