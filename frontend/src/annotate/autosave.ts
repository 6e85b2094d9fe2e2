/**
 * Autosave: after each change, wait a moment for more, then send the latest labels; one request
 * at a time, and whatever changed meanwhile goes in the next one. Its state ("saving", "saved",
 * "not saved: <reason>") is shown to the annotator. Timers and the request are injected, so it is
 * tested without a browser or a server.
 */

export type SaveState =
  | { state: "saved" }
  | { state: "pending" }
  | { state: "saving" }
  | { state: "failed"; reason: string };

export interface AutosaveOptions {
  /** Send the current labels; rejects with an Error whose message says why. */
  save(): Promise<void>;
  onState(state: SaveState): void;
  delayMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Long enough to gather a brush stroke's burst of changes, short enough to feel immediate. */
const DEFAULT_DELAY_MS = 800;

export class Autosave {
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private dirty = false;
  private stopped = false;
  private readonly delayMs: number;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: AutosaveOptions) {
    this.delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
    this.setTimer = options.setTimer ?? ((callback, ms) => window.setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => window.clearTimeout(handle as number));
  }

  /** Something changed: save it soon. */
  changed(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.options.onState({ state: "pending" });
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = null;
      // A failure is shown through onState; the next change tries again.
      this.flush().catch(() => undefined);
    }, this.delayMs);
  }

  get hasUnsaved(): boolean {
    return this.dirty || this.inFlight !== null;
  }

  /**
   * Save now what is unsaved (and wait for a save under way): before submitting or leaving.
   * Resolves once all is saved; rejects with the reason when the last save failed.
   */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    this.options.onState({ state: "saving" });
    const attempt = this.options.save();
    this.inFlight = attempt;
    try {
      await attempt;
      this.inFlight = null;
      if (this.dirty) return this.flush();
      if (!this.stopped) this.options.onState({ state: "saved" });
    } catch (error) {
      this.inFlight = null;
      // Still unsaved: the next change or flush tries again.
      this.dirty = true;
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.stopped) this.options.onState({ state: "failed", reason });
      throw error;
    }
  }

  /** No more saves (the case was submitted or left). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}

/** The words for a save state. */
export function saveStateText(state: SaveState): string {
  switch (state.state) {
    case "saved":
      return "Saved";
    case "pending":
      return "Unsaved changes";
    case "saving":
      return "Saving…";
    case "failed":
      return `Not saved: ${state.reason}`;
  }
}
