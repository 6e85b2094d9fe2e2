/** What a user's roles let them do in the browser (the server enforces the same rules). */

const WORKLIST_ROLES = ["radiologist", "reviewer", "admin"];
/** archive.view_instance in accounts/roles.py: annotators will only see de-identified copies. */
const ARCHIVE_ROLES = ["radiologist", "reviewer", "admin"];

/** Radiologists, reviewers and admins see the worklist and the turnaround dashboard. */
export function canSeeWorklist(roles: readonly string[]): boolean {
  return roles.some((role) => WORKLIST_ROLES.includes(role));
}

/** Radiologists, reviewers and admins search the archive (QIDO-RS) and see its images. */
export function canReadArchive(roles: readonly string[]): boolean {
  return roles.some((role) => ARCHIVE_ROLES.includes(role));
}

/** Only radiologists claim and read studies. */
export function canRead(roles: readonly string[]): boolean {
  return roles.includes("radiologist");
}

/** annotations.add_label in accounts/roles.py: annotators label cases in the workspace. */
export function canAnnotate(roles: readonly string[]): boolean {
  return roles.includes("annotator");
}

/** annotations.add_labelschema and change_queuesettings in accounts/roles.py: admins edit the label
 * schema and choose the queue's strategy, k, batch size and lock time. */
export function canManageAnnotation(roles: readonly string[]): boolean {
  return roles.includes("admin");
}

/** ml.change_modelversion in accounts/roles.py: admins retrain, compare, promote and roll back
 * model versions. */
export function canManageModels(roles: readonly string[]): boolean {
  return roles.includes("admin");
}

/** audit.view_auditevent in accounts/roles.py: admins read the audit log (who looked at what). */
export function canSeeAudit(roles: readonly string[]): boolean {
  return roles.includes("admin");
}
