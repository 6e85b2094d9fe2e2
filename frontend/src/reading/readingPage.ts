/**
 * The reading page: claims the study (or shows it view-only when someone else has it), shows it
 * in the viewer with the AI's answer, records the read and moves on to the next most urgent
 * study. While it is open, the next study on the worklist is prefetched.
 */

import "./reading.css";

import { ApiError } from "../api/http";
import { getMe } from "../api/me";
import { type StudyForReading, claimConflict, getStudyForReading, readStudy } from "../api/reading";
import { claimNextStudy, listWorklist } from "../api/worklist";
import { canRead } from "../app/roles";
import { openShortcutHelp } from "../app/shortcutHelp";
import { type ShortcutMap, actionFor, isTyping, keyLabel, loadShortcuts } from "../app/shortcuts";
import { h } from "../pages/dom";
import { isViewerAction } from "../viewer/actions";
import type { Viewer } from "../viewer/viewer";
import { type LeaveQuestion, askToLeave } from "./leaveConfirm";
import { problemText } from "./problemText";
import { type ReadChoice, earlierReadText, readChoices, savedText } from "./readChoices";
import { type ClaimOutcome, StudyClaim } from "./studyClaim";
import { studyHeader } from "./studyHeader";

export interface ReadingNavigation {
  /** Leave for the worklist; `message` says why when the reader did not ask to go there. */
  toWorklist(message?: string): void;
  /** Leave for another study's reading page. */
  toStudy(studyInstanceUid: string): void;
}

/** Long enough to see "Saved: …" before the next study replaces it. */
const SAVED_PAUSE_MS = 700;

/** Mount the page for one study into `root`; returns a function that unmounts it. */
export function mountReadingPage(
  root: HTMLElement,
  studyInstanceUid: string,
  nav: ReadingNavigation,
): () => void {
  const page = new ReadingPage(root, studyInstanceUid, nav);
  return () => page.unmount();
}

class ReadingPage {
  private readonly claim: StudyClaim;
  private readonly head = h("div", {}, h("p", { class: "muted" }, "Loading the study…"));
  private readonly actions = h("div", { class: "reading-actions" });
  private readonly claimLine = h("p", { class: "reading-claim", "data-testid": "claim-status" });
  private readonly saved = h("p", { class: "reading-saved", role: "status" });
  private readonly alert = h("div", { class: "alert", role: "alert", hidden: true });
  private readonly viewerRoot = h("div", { class: "reading-viewer" });
  private readonly helpButton = h("button", { type: "button", class: "button-quiet reading-help" }, "Shortcuts");
  private shortcuts: ShortcutMap | null = null;
  /** Whether this user's role reads studies (radiologists); others only look at them. */
  private reads = false;
  private leaveQuestion: LeaveQuestion | null = null;
  private study: StudyForReading | null = null;
  private viewer: Viewer | null = null;
  private busy = false;
  private left = false;

  constructor(
    root: HTMLElement,
    private readonly studyInstanceUid: string,
    private readonly nav: ReadingNavigation,
  ) {
    this.claim = new StudyClaim(studyInstanceUid, (reason) =>
      this.viewOnly(`Your claim on this study expired: ${reason}`),
    );
    root.replaceChildren(
      h(
        "section",
        { class: "reading", "aria-label": "Reading" },
        h(
          "header",
          { class: "reading-head" },
          this.head,
          h("div", { class: "reading-side" }, this.claimLine, this.actions, this.saved, this.helpButton),
        ),
        this.alert,
        this.viewerRoot,
      ),
    );
    this.helpButton.addEventListener("click", () => this.showHelp());
    document.addEventListener("keydown", this.onKey);
    window.addEventListener("pagehide", this.onPageHide);
    window.addEventListener("pageshow", this.onPageShow);
    void this.open();
  }

  private async open(): Promise<void> {
    // Cornerstone (loaded with the first study read, not with the worklist) and the study's
    // metadata come in while the claim and the worklist entry are asked for.
    const viewerModule = import("../viewer/viewer").catch(() => null);
    import("../viewer/prefetch")
      .then(({ prefetchStudyMetadata }) => prefetchStudyMetadata(this.studyInstanceUid))
      .catch(() => undefined); // the viewer asks again, and says what failed
    let claim: ClaimOutcome;
    let study: StudyForReading;
    let shortcuts: ShortcutMap;
    try {
      [claim, study, shortcuts] = await Promise.all([
        this.takeClaimIfReader(),
        getStudyForReading(this.studyInstanceUid),
        loadShortcuts(),
      ]);
    } catch (error) {
      if (!this.left) this.showProblem(problemText(error, "open this study"));
      this.head.replaceChildren();
      return;
    }
    if (this.left) return;
    this.study = study;
    this.shortcuts = shortcuts;
    this.helpButton.title = `Keyboard shortcuts (${keyLabel(shortcuts.help)})`;
    this.helpButton.setAttribute("aria-keyshortcuts", shortcuts.help);
    this.head.replaceChildren(studyHeader(study));
    if (claim.held) this.showReadActions(study);
    else this.viewOnly(claim.reason);
    if (study.read) this.saved.textContent = earlierReadText(study.read);
    const viewer = await viewerModule;
    if (this.left) return;
    if (!viewer) {
      this.showProblem("The image viewer could not be loaded. Reload the page to try again.");
      return;
    }
    this.viewer = viewer.mountViewer(this.viewerRoot, {
      studyInstanceUid: this.studyInstanceUid,
      findings: study.findings,
      shortcuts,
      // Measurements are each reader's own, kept on the server; other roles' stay on screen.
      saveMeasurements: this.reads,
      onError: (message) => this.showProblem(message),
    });
    await this.viewer.firstImage;
    if (!this.left) void this.prefetchNext();
  }

  /**
   * Claim the study for a radiologist. Reviewers and admins look without claiming: they cannot
   * hold a claim, and asking for one would only be refused.
   */
  private async takeClaimIfReader(): Promise<ClaimOutcome> {
    const me = await getMe();
    this.reads = canRead(me.roles);
    if (this.reads) return this.claim.take();
    const roles = me.roles.length ? me.roles.join(", ") : "none";
    return { held: false, reason: `Your role (${roles}) looks at studies without claiming or reading them.` };
  }

  private showReadActions(study: StudyForReading): void {
    const shortcuts = this.shortcuts;
    this.claimLine.textContent = "You are reading this study.";
    this.actions.replaceChildren(
      ...readChoices(study.ai).map((choice) => {
        const key = shortcuts?.[choice.action] ?? "";
        const button = h(
          "button",
          {
            type: "button",
            class: "reading-read",
            title: `${choice.caption} (${key})`,
            "aria-keyshortcuts": key,
            "data-verdict": choice.verdict ?? "none",
          },
          choice.caption,
          " ",
          h("kbd", {}, key),
        );
        button.addEventListener("click", () => void this.read(choice));
        return button;
      }),
    );
  }

  /** Someone else holds the study, it is read, or this role only views: no read buttons. */
  private viewOnly(reason: string): void {
    this.claim.forget();
    this.claimLine.textContent = `View only. ${reason}`;
    this.actions.replaceChildren();
  }

  private async read(choice: ReadChoice): Promise<void> {
    if (this.busy || !this.claim.isHeld) return;
    this.busy = true;
    this.setActionsDisabled(true);
    this.hideProblem();
    try {
      const result = await readStudy(this.studyInstanceUid, choice.verdict);
      // Reading released the claim on the server.
      this.claim.forget();
      this.saved.textContent = savedText(result.read);
      this.actions.replaceChildren();
      this.claimLine.textContent = "Read.";
    } catch (error) {
      const conflict = claimConflict(error);
      if (conflict) this.viewOnly(conflict.detail);
      this.showProblem(problemText(error, "save the read"));
      this.busy = false;
      this.setActionsDisabled(false);
      return;
    }
    const [go] = await Promise.all([this.goToNext(), pause(SAVED_PAUSE_MS)]);
    if (!this.left) go();
  }

  /**
   * Claim the most urgent waiting study other than this one; resolves with the navigation to do
   * (so a caller can let the reader see a message first).
   */
  private async goToNext(): Promise<() => void> {
    try {
      const next = await claimNextStudy([this.studyInstanceUid]);
      return () => this.nav.toStudy(next.study_instance_uid);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "not-found") {
        return () => this.nav.toWorklist(error.message || "No unclaimed study is waiting.");
      }
      this.showProblem(problemText(error, "open the next study"));
      this.busy = false;
      return () => undefined;
    }
  }

  /** Prefetch the first other unclaimed study on the worklist, the likely next one. */
  private async prefetchNext(): Promise<void> {
    try {
      const page = await listWorklist({
        status: "waiting",
        modality: "",
        ai: "",
        priority: "",
        q: "",
        received_from: "",
        received_to: "",
        sort: "priority",
        offset: 0,
        limit: 3,
      });
      const next = page.results.find(
        (row) => row.study_instance_uid !== this.studyInstanceUid && row.claim === null,
      );
      if (!next || this.left) return;
      const { prefetchStudy } = await import("../viewer/prefetch");
      await prefetchStudy(next.study_instance_uid);
    } catch {
      // Prefetching only saves time later; the next study loads normally without it.
    }
  }

  private readonly onKey = (event: KeyboardEvent): void => {
    // An open dialog (the shortcut help, the leave question) has the keys, Esc included.
    if (!this.shortcuts || isTyping(event) || document.querySelector("dialog[open]")) return;
    const action = actionFor(event, "reading", this.shortcuts);
    if (!action) return;
    event.preventDefault();
    if (action === "help") {
      this.showHelp();
    } else if (action === "read.back") {
      void this.leave();
    } else if (action === "read.nextUrgent") {
      // Taking the next study means claiming it: for readers only.
      if (this.busy || !this.reads) return;
      this.busy = true;
      void this.goToNext().then((go) => {
        if (!this.left) go();
      });
    } else if (action.startsWith("read.")) {
      const choice = this.study ? readChoices(this.study.ai).find((c) => c.action === action) : undefined;
      if (choice) void this.read(choice);
    } else if (isViewerAction(action)) {
      this.viewer?.perform(action);
    }
  };

  private showHelp(): void {
    if (this.shortcuts && !document.querySelector("dialog[open]")) openShortcutHelp(this.shortcuts, "reading");
  }

  /** Back to the worklist; with a claim held, only once the reader confirms giving it back. */
  private async leave(): Promise<void> {
    if (this.claim.isHeld) {
      this.leaveQuestion = askToLeave();
      const leaving = await this.leaveQuestion.answer;
      this.leaveQuestion = null;
      if (!leaving) return;
    }
    if (!this.left) this.nav.toWorklist();
  }

  private readonly onPageHide = (): void => {
    this.claim.release({ keepalive: true });
  };

  /** Back from the browser's page cache: the claim was given up on the way out, take it again. */
  private readonly onPageShow = (event: PageTransitionEvent): void => {
    if (!event.persisted || !this.study || !this.reads || this.claim.isHeld || this.study.status === "read")
      return;
    this.claim.take().then(
      (outcome) => {
        if (outcome.held && this.study) this.showReadActions(this.study);
        else if (!outcome.held) this.viewOnly(outcome.reason);
      },
      (error: unknown) => this.showProblem(problemText(error, "claim this study again")),
    );
  };

  private setActionsDisabled(disabled: boolean): void {
    for (const button of this.actions.querySelectorAll("button")) button.disabled = disabled;
  }

  private showProblem(message: string): void {
    this.alert.textContent = message;
    this.alert.hidden = false;
  }

  private hideProblem(): void {
    this.alert.hidden = true;
    this.alert.textContent = "";
  }

  unmount(): void {
    this.left = true;
    document.removeEventListener("keydown", this.onKey);
    window.removeEventListener("pagehide", this.onPageHide);
    window.removeEventListener("pageshow", this.onPageShow);
    this.leaveQuestion?.dismiss();
    this.claim.release({ keepalive: true });
    this.viewer?.destroy();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
