/**
 * Where the start page sends a user: one line per page their roles open, from the same role
 * checks the router uses (the server enforces the same rules by permission). Pure, for a spec.
 */

import { canAnnotate, canSeeWorklist } from "../../app/roles";
import { canReview, canSeeAgreement } from "../../review/reviewRoles";

export interface StartLink {
  href: string;
  caption: string;
  /** What the user does there, after the link. */
  what: string;
}

export function startLinks(roles: readonly string[]): StartLink[] {
  const links: StartLink[] = [];
  if (canSeeWorklist(roles)) {
    links.push({ href: "/", caption: "Worklist", what: "studies by urgency, with the AI's findings." });
  }
  if (canAnnotate(roles)) {
    links.push({
      href: "/annotate",
      caption: "Annotation workspace",
      what:
        "label de-identified images, the most useful to the model first: a class by number key, " +
        "boxes, brush and freehand masks, undo and redo; saved as you work.",
    });
  }
  if (canReview(roles)) {
    links.push({
      href: "/review",
      caption: "Review",
      what: "settle labelled cases, disagreements first: accept, edit (redraw the regions) or reject.",
    });
  }
  if (canSeeAgreement(roles)) {
    links.push({
      href: "/review/agreement",
      caption: "Agreement",
      what: "Cohen's and Fleiss' kappa, box IoU and mask Dice per annotator and per class.",
    });
  }
  return links;
}
