/**
 * Time spent on a case: from opening it to submitting, counting only the time the tab was shown
 * (a case left open in a hidden tab over lunch is not an hour of work). Kept in sessionStorage
 * under the case's pseudonym, so a reload continues the count instead of starting again.
 */

export interface TimerStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class CaseTimer {
  private spentMs: number;
  private shownSince: number | null = null;

  constructor(
    private readonly key: string,
    private readonly now: () => number = () => performance.now(),
    private readonly store: TimerStore | null = null,
  ) {
    const stored = Number(store?.getItem(this.storageKey) ?? "0");
    this.spentMs = Number.isFinite(stored) && stored > 0 ? stored * 1000 : 0;
  }

  private get storageKey(): string {
    return `annotate.seconds.${this.key}`;
  }

  /** The tab is shown (the case opened, or the tab came back). */
  resume(): void {
    this.shownSince ??= this.now();
  }

  /** The tab is hidden: stop counting until it is shown again. */
  pause(): void {
    if (this.shownSince === null) return;
    this.spentMs += this.now() - this.shownSince;
    this.shownSince = null;
    this.persist();
  }

  /** Seconds spent so far, to a tenth. */
  get seconds(): number {
    const running = this.shownSince === null ? 0 : this.now() - this.shownSince;
    return Math.round((this.spentMs + running) / 100) / 10;
  }

  persist(): void {
    this.store?.setItem(this.storageKey, String(this.seconds));
  }

  /** The case is submitted or skipped: its count is no longer needed. */
  forget(): void {
    this.store?.removeItem(this.storageKey);
  }
}
