/**
 * /review and /review/<case>: the reviewer's queue (disagreements first, as the server orders
 * it) beside the open case. After a decision the next case in the queue opens; ArrowUp/ArrowDown
 * move through the queue and Enter opens the selected case.
 */

import "../viewer/viewer.css";
import "./review.css";

import type { PageContext } from "../app/router";
import { classDisplayName } from "../api/tasks";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { type ReviewCaseView, mountReviewCase } from "./reviewCase";
import { type QueueItem, getReviewCase, getReviewQueue } from "./reviewApi";
import { disputeText, formatFigure, formatVotes } from "./reviewFormat";

const REVIEW = { name: "Review", forbidden: "Your role may not review annotations." };

export function reviewPath(pseudonym?: string): string {
  return pseudonym ? `/review/${encodeURIComponent(pseudonym)}` : "/review";
}

export function mountReviewPage(root: HTMLElement, context: PageContext, caseId: string | null): () => void {
  const controller = new AbortController();
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status" }, "Loading the review queue…");
  const body = h("tbody", {});
  const queue = h(
    "table",
    { class: "studies review-queue", "data-testid": "review-queue" },
    h("caption", {}, "Labelled cases awaiting review, disagreements first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Case", "Agreement", "Votes", "Box IoU", "Mask Dice"].map((label) => h("th", { scope: "col" }, label)),
      ),
    ),
    body,
  );
  const casePanel = h("div", { class: "review-case-panel" });
  let view: ReviewCaseView | null = null;
  let items: QueueItem[] = [];
  let selected = 0;

  root.replaceChildren(
    h(
      "section",
      { class: "review-page" },
      h("h1", {}, "Review"),
      h("p", {}, h("a", { href: "/review/agreement" }, "Agreement between annotators")),
      alert,
      h("div", { class: "review-layout" }, h("div", { class: "review-queue-panel" }, status, queue), casePanel),
    ),
  );
  const notice = context.takeNotice();
  if (notice) status.textContent = notice;

  function row(item: QueueItem, index: number): HTMLTableRowElement {
    const name = (key: string): string => classDisplayName(key, item.task);
    const element = h(
      "tr",
      { "data-case": item.id, tabindex: -1, "aria-current": item.id === caseId ? "true" : undefined },
      h("th", { scope: "row" }, h("a", { href: reviewPath(item.id) }, item.id)),
      h("td", {}, disputeText(item.agreement)),
      h("td", {}, formatVotes(item.agreement.votes, name)),
      h("td", { class: "cell-number" }, formatFigure(item.agreement.box_iou)),
      h("td", { class: "cell-number" }, formatFigure(item.agreement.mask_dice)),
    );
    element.addEventListener("focus", () => (selected = index));
    return element;
  }

  async function loadQueue(): Promise<void> {
    try {
      items = await getReviewQueue(undefined, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      showAlert(alert, describeError(error, "the review queue", REVIEW));
      return;
    }
    body.replaceChildren(...items.map(row));
    const count = items.length;
    if (!notice || caseId) status.textContent = count ? `${count} case${count === 1 ? "" : "s"} to review.` : "No case is waiting for review.";
    selected = Math.max(0, items.findIndex((item) => item.id === caseId));
  }

  async function openCase(pseudonym: string): Promise<void> {
    try {
      const caseData = await getReviewCase(pseudonym, controller.signal);
      if (controller.signal.aborted) return;
      view = mountReviewCase(caseData, {
        onDecided: () => {
          const next = items.find((item) => item.id !== pseudonym);
          context.go(reviewPath(next?.id), `Case ${pseudonym} decided.`);
        },
        onError: (text) => showAlert(alert, { text, signIn: false }),
      });
      casePanel.replaceChildren(view.element);
    } catch (error) {
      if (!controller.signal.aborted) showAlert(alert, describeError(error, "this case", REVIEW));
    }
  }

  function onKey(event: KeyboardEvent): void {
    const target = event.target;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement) return;
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Enter") return;
    const rows = [...body.querySelectorAll<HTMLTableRowElement>("tr")];
    if (rows.length === 0 || (event.key === "Enter" && target instanceof HTMLButtonElement)) return;
    event.preventDefault();
    if (event.key === "Enter") {
      const id = items[selected]?.id;
      if (id) context.go(reviewPath(id));
      return;
    }
    selected = Math.min(rows.length - 1, Math.max(0, selected + (event.key === "ArrowDown" ? 1 : -1)));
    rows[selected]?.focus();
  }
  document.addEventListener("keydown", onKey);

  void loadQueue();
  if (caseId) void openCase(caseId);
  return () => {
    controller.abort();
    document.removeEventListener("keydown", onKey);
    view?.destroy();
    root.replaceChildren();
  };
}
