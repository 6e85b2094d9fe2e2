/** The browser routes: which page a path shows, and which header tab that page belongs to. */

import { canAnnotate, canSeeWorklist } from "./roles";

export type Route =
  | { page: "start" }
  | { page: "worklist" }
  | { page: "archive" }
  | { page: "dashboard" }
  | { page: "shortcuts" }
  | { page: "reading"; studyUid: string }
  | { page: "annotate"; pseudonym: string | null }
  | { page: "review"; pseudonym: string | null }
  | { page: "agreement" }
  | { page: "annotation-settings" }
  | { page: "models" }
  | { page: "audit" }
  | { page: "not-found" };

export type Section =
  | "start"
  | "worklist"
  | "archive"
  | "dashboard"
  | "shortcuts"
  | "annotate"
  | "review"
  | "annotation-settings"
  | "models"
  | "audit";

const FIXED: Record<string, Route> = {
  "/worklist": { page: "worklist" },
  "/archive": { page: "archive" },
  "/dashboard": { page: "dashboard" },
  "/settings/shortcuts": { page: "shortcuts" },
  "/review/agreement": { page: "agreement" },
  // Before the workspace's /annotate/<pseudonym>: pseudonyms are 16 hex digits, never "settings".
  "/annotate/settings": { page: "annotation-settings" },
  "/models": { page: "models" },
  "/audit": { page: "audit" },
};
const READING = /^\/read\/([^/]+)\/?$/;
const ANNOTATE = /^\/annotate(?:\/([^/]+))?\/?$/;
const REVIEW = /^\/review(?:\/([^/]+))?\/?$/;

/**
 * The page for a path. "/" is the worklist for those who may see it, the annotation workspace
 * for annotators, else the start page that says what the user's roles let them do.
 */
export function routeFor(pathname: string, roles: readonly string[]): Route {
  if (pathname === "/") {
    if (canSeeWorklist(roles)) return { page: "worklist" };
    return canAnnotate(roles) ? { page: "annotate", pseudonym: null } : { page: "start" };
  }
  const fixed = FIXED[pathname.replace(/\/$/, "")];
  if (fixed) return fixed;
  const annotate = ANNOTATE.exec(pathname);
  if (annotate) {
    try {
      return { page: "annotate", pseudonym: annotate[1] ? decodeURIComponent(annotate[1]) : null };
    } catch {
      return { page: "not-found" };
    }
  }
  const review = REVIEW.exec(pathname);
  if (review) {
    try {
      return { page: "review", pseudonym: review[1] ? decodeURIComponent(review[1]) : null };
    } catch {
      return { page: "not-found" };
    }
  }
  const reading = READING.exec(pathname);
  if (reading?.[1]) {
    try {
      return { page: "reading", studyUid: decodeURIComponent(reading[1]) };
    } catch {
      return { page: "not-found" };
    }
  }
  return { page: "not-found" };
}

/** True for paths this single-page app draws itself (links to them need no page load). */
export function isAppPath(pathname: string): boolean {
  return routeFor(pathname, []).page !== "not-found";
}

export function readingPath(studyInstanceUid: string): string {
  return `/read/${encodeURIComponent(studyInstanceUid)}`;
}

/** The header tab to mark for a route; reading a study belongs to the worklist. */
export function sectionOf(route: Route): Section | null {
  switch (route.page) {
    case "worklist":
    case "reading":
      return "worklist";
    case "start":
    case "annotate":
    case "review":
    case "archive":
    case "dashboard":
    case "shortcuts":
      return route.page;
    case "agreement":
      return "review";
    case "annotation-settings":
    case "models":
    case "audit":
      return route.page;
    case "not-found":
      return null;
  }
}
