/** Who may use the review pages (the server enforces the same rules, by permission). */

/** annotations.add_reviewdecision in accounts/roles.py: reviewers adjudicate labelled cases. */
export function canReview(roles: readonly string[]): boolean {
  return roles.includes("reviewer");
}

/** annotations.view_label: reviewers and admins see the agreement figures. */
export function canSeeAgreement(roles: readonly string[]): boolean {
  return roles.includes("reviewer") || roles.includes("admin");
}
