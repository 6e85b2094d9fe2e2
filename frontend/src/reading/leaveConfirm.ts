/**
 * "Leave this study?": asked before the reading page gives a held claim back on the reader's
 * key. Enter (on Leave) confirms; Esc or Stay keeps the study open and the claim held.
 */

import { h } from "../pages/dom";

export interface LeaveQuestion {
  /** Resolves true when the reader chose to leave. */
  readonly answer: Promise<boolean>;
  /** Take the question away unanswered (the page is going anyway). */
  dismiss(): void;
}

export function askToLeave(): LeaveQuestion {
  const stay = h("button", { type: "button", class: "button-quiet" }, "Stay");
  const leave = h("button", { type: "button" }, "Leave and release");
  const dialog = h(
    "dialog",
    { class: "leave-confirm", "aria-labelledby": "leave-confirm-title", "aria-describedby": "leave-confirm-text" },
    h("h2", { id: "leave-confirm-title" }, "Leave this study?"),
    h(
      "p",
      { id: "leave-confirm-text" },
      "Your claim on it is given back, so another reader may take it. Enter leaves, Esc stays.",
    ),
    h("div", { class: "leave-confirm-buttons" }, stay, leave),
  );
  stay.addEventListener("click", () => dialog.close("stay"));
  leave.addEventListener("click", () => dialog.close("leave"));
  const answer = new Promise<boolean>((resolve) =>
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "leave");
    }),
  );
  document.body.append(dialog);
  dialog.showModal();
  leave.focus();
  return { answer, dismiss: () => dialog.close() };
}
