/** What a user's roles let them do in the browser (the server enforces the same rules). */

const WORKLIST_ROLES = ["radiologist", "reviewer", "admin"];

/** Radiologists, reviewers and admins see the worklist and the turnaround dashboard. */
export function canSeeWorklist(roles: readonly string[]): boolean {
  return roles.some((role) => WORKLIST_ROLES.includes(role));
}

/** Only radiologists claim and read studies. */
export function canRead(roles: readonly string[]): boolean {
  return roles.includes("radiologist");
}
