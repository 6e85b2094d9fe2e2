/**
 * The single-page router: one page mounted in <main> at a time, chosen by the path; links to app
 * paths and pages' own navigation move with history.pushState, Back and Forward with popstate.
 * Each page returns the function that unmounts it (closing its event streams and timers).
 */

import { mountAgreementPage } from "../review/agreementPage";
import { canReview, canSeeAgreement } from "../review/reviewRoles";
import type { Me } from "../api/me";
import { mountDashboardPage } from "../dashboard/dashboardPage";
import { mountArchiveBrowser } from "../pages/archive/archiveBrowser";
import { h } from "../pages/dom";
import type { Header } from "../pages/header";
import { mountStartPage } from "../pages/start/startPage";
import { mountReadingPage } from "../reading/readingPage";
import { mountShortcutSettings } from "../settings/shortcutSettings";
import { mountWorklistPage } from "../worklist/worklistPage";
import {
  canAnnotate,
  canManageAnnotation,
  canManageModels,
  canReadArchive,
  canSeeAudit,
  canSeeWorklist,
} from "./roles";
import { type Route, isAppPath, readingPath, routeFor, sectionOf } from "./routes";

/** What a page may ask of the router. */
export interface PageContext {
  me: Me;
  /** Go to an app path (pushState), unmounting this page; `notice` is for the next page. */
  go(path: string, notice?: string): void;
  /** Replace the address bar's query (filters, page) without a new history entry. */
  replaceSearch(search: string): void;
  /** A message the previous page left for this one ("No unclaimed study is waiting."), once. */
  takeNotice(): string | null;
}

type Unmount = () => void;

const TITLES: Record<Route["page"], string> = {
  start: "Start",
  worklist: "Worklist",
  archive: "Archive",
  dashboard: "Turnaround",
  shortcuts: "Keyboard shortcuts",
  reading: "Reading",
  annotate: "Annotation",
  review: "Review",
  agreement: "Agreement",
  "annotation-settings": "Annotation settings",
  models: "Models",
  audit: "Audit log",
  "not-found": "Not found",
};

function notice(root: HTMLElement, text: string): Unmount {
  root.replaceChildren(
    h(
      "section",
      { class: "page-notice", role: "alert" },
      h("p", {}, text),
      h("p", {}, h("a", { href: "/" }, "Go to the start page")),
    ),
  );
  return () => root.replaceChildren();
}

/**
 * A page whose module is loaded when first opened: the workspace and review pages bring
 * Cornerstone3D with them, which other users' pages must not wait for (as the reading page's
 * viewer is loaded). Unmounting before the module arrives mounts nothing.
 */
function lazyPage(root: HTMLElement, load: () => Promise<(root: HTMLElement) => Unmount>): Unmount {
  let unmount: Unmount | null = null;
  let gone = false;
  root.replaceChildren(h("p", { class: "page-loading" }, "Loading…"));
  load()
    .then((mountPage) => {
      if (!gone) unmount = mountPage(root);
    })
    .catch(() => {
      if (!gone) notice(root, "This page could not be loaded. Reload to try again.");
    });
  return () => {
    gone = true;
    if (unmount) unmount();
    else root.replaceChildren();
  };
}

/**
 * The page for a route, or a notice when the user's roles may not use it: a page never starts
 * requests its user's role is refused (the server refuses them too).
 */
function mount(route: Route, root: HTMLElement, context: PageContext, worklistUrl: () => string): Unmount {
  const seesWorklist = canSeeWorklist(context.me.roles);
  switch (route.page) {
    case "start":
      return mountStartPage(root, context.me);
    case "worklist":
      return seesWorklist
        ? mountWorklistPage(root, context)
        : notice(root, "Your role may not see the worklist.");
    case "dashboard":
      return seesWorklist
        ? mountDashboardPage(root, context)
        : notice(root, "Your role may not see the turnaround dashboard.");
    case "archive":
      return canReadArchive(context.me.roles)
        ? mountArchiveBrowser(root, context.me.roles)
        : notice(root, "Your role may not read the archive.");
    case "shortcuts":
      return mountShortcutSettings(root);
    case "reading":
      return seesWorklist
        ? mountReadingPage(root, route.studyUid, {
            toWorklist: (message) => context.go(worklistUrl(), message),
            toStudy: (uid) => context.go(readingPath(uid)),
          })
        : notice(root, "Your role may not open studies.");
    case "annotate":
      return canAnnotate(context.me.roles)
        ? lazyPage(root, async () => {
            const { mountWorkspacePage } = await import("../annotate/workspacePage");
            return (into) =>
              mountWorkspacePage(into, route.pseudonym, {
                toCase: (pseudonym) =>
                  context.go(pseudonym ? `/annotate/${encodeURIComponent(pseudonym)}` : "/annotate"),
              });
          })
        : notice(root, "Your role may not annotate images.");
    case "review":
      return canReview(context.me.roles)
        ? lazyPage(root, async () => {
            const { mountReviewPage } = await import("../review/reviewPage");
            return (into) => mountReviewPage(into, context, route.pseudonym);
          })
        : notice(root, "Your role may not review annotations.");
    case "agreement":
      return canSeeAgreement(context.me.roles)
        ? mountAgreementPage(root)
        : notice(root, "Your role may not see agreement figures.");
    case "annotation-settings":
      return canManageAnnotation(context.me.roles)
        ? lazyPage(root, async () => {
            const { mountAnnotationSettingsPage } = await import("../annotationSettings/settingsPage");
            return mountAnnotationSettingsPage;
          })
        : notice(root, "Your role may not change the annotation settings.");
    case "models":
      return canManageModels(context.me.roles)
        ? lazyPage(root, async () => {
            const { mountModelsPage } = await import("../models/modelsPage");
            return mountModelsPage;
          })
        : notice(root, "Your role may not manage models.");
    case "audit":
      return canSeeAudit(context.me.roles)
        ? lazyPage(root, async () => {
            const { mountAuditPage } = await import("../audit/auditPage");
            return (into) => mountAuditPage(into, context);
          })
        : notice(root, "Your role may not see the audit log.");
    case "not-found":
      return notice(root, "There is no page at this address.");
  }
}

function here(): string {
  return window.location.pathname + window.location.search;
}

/** A click on a same-origin link to an app path, not meant for a new tab or a download. */
function appLinkTarget(event: MouseEvent): URL | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute("download")) return null;
  const url = new URL(link.href);
  // In-page anchors (the skip link) keep their native behaviour.
  if (url.hash && url.pathname === window.location.pathname && url.search === window.location.search)
    return null;
  return url.origin === window.location.origin && isAppPath(url.pathname) ? url : null;
}

export function startRouter(root: HTMLElement, header: Header, me: Me): void {
  let unmount: Unmount | undefined;
  let lastWorklistUrl = "/worklist";
  let pendingNotice: string | null = null;

  const context: PageContext = {
    me,
    go(path, notice) {
      pendingNotice = notice ?? null;
      if (path === here()) return;
      window.history.pushState(null, "", path);
      show(true);
    },
    takeNotice() {
      const notice = pendingNotice;
      pendingNotice = null;
      return notice;
    },
    replaceSearch(search) {
      window.history.replaceState(window.history.state, "", window.location.pathname + search);
      if (routeFor(window.location.pathname, me.roles).page === "worklist") {
        lastWorklistUrl = here();
        header.setWorklistHref(lastWorklistUrl);
      }
    },
  };

  function show(moveFocus: boolean): void {
    unmount?.();
    unmount = undefined;
    const route = routeFor(window.location.pathname, me.roles);
    if (route.page === "worklist") {
      lastWorklistUrl = here();
      header.setWorklistHref(lastWorklistUrl);
    }
    header.setCurrent(sectionOf(route));
    document.title = `${TITLES[route.page]} · Imaging triage`;
    root.dataset["page"] = route.page;
    root.replaceChildren();
    // Screen readers and the keyboard start from the new page, not the link that led here; a
    // page may take focus itself (the worklist gives it to its table).
    if (moveFocus) root.focus({ preventScroll: true });
    unmount = mount(route, root, context, () => lastWorklistUrl);
  }

  document.addEventListener("click", (event) => {
    const url = appLinkTarget(event);
    if (!url) return;
    event.preventDefault();
    context.go(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => show(true));
  show(false);
}
