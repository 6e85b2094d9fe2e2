/**
 * When to re-read the worklist page. Announced changes arrive in bursts (a study placed, scored
 * and moved within a second), so they are coalesced for a short quiet time and at most one
 * request runs at once; a change announced during a request asks for one more afterwards. A new
 * search by the user makes the request in flight stale: it is aborted and the new one starts now.
 */

export type Load = (signal: AbortSignal) => Promise<void>;

export class RefreshScheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private again = false;

  constructor(
    private readonly load: Load,
    private readonly delayMs = 150,
  ) {}

  /** Something changed on the server: refresh within `delayMs`, sharing one request with other changes. */
  soon(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight) this.again = true;
      else this.run();
    }, this.delayMs);
  }

  /** The user wants other rows: abandon what is loading and load now. */
  now(): void {
    this.cancel();
    this.run();
  }

  /** Stop: no timer left, nothing in flight. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  private run(): void {
    const controller = new AbortController();
    this.inFlight = controller;
    this.load(controller.signal)
      .catch(() => {
        // The page shows its own load errors; a failed refresh must not stop the next one.
      })
      .finally(() => {
        if (this.inFlight !== controller) return;
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }
}
