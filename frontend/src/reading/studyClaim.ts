/**
 * The reader's claim on the open study: taken on opening, renewed every minute while the page
 * is open (claims expire on the server so an abandoned workstation frees its study), given back
 * on leaving.
 */

import { ApiError } from "../api/http";
import { claimConflict, claimStudy, releaseStudy } from "../api/reading";

const HEARTBEAT_MS = 60_000;

export type ClaimOutcome =
  | { held: true }
  /** Someone else holds it, it was read already, or this role may not read: view only. */
  | { held: false; reason: string };

export class StudyClaim {
  private heartbeat: number | undefined;
  private held = false;

  constructor(
    private readonly studyInstanceUid: string,
    /** The claim went to someone else while the page was open (it had expired). */
    private readonly onLost: (reason: string) => void,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Claim the study. Errors other than "held by another" and "not allowed" are thrown. */
  async take(): Promise<ClaimOutcome> {
    try {
      await claimStudy(this.studyInstanceUid);
    } catch (error) {
      const conflict = claimConflict(error);
      if (conflict) return { held: false, reason: conflict.detail };
      if (error instanceof ApiError && error.kind === "forbidden") {
        return { held: false, reason: "Your role may look at this study but not read it." };
      }
      throw error;
    }
    this.held = true;
    window.clearInterval(this.heartbeat);
    this.heartbeat = window.setInterval(() => void this.renew(), HEARTBEAT_MS);
    return { held: true };
  }

  private async renew(): Promise<void> {
    try {
      await claimStudy(this.studyInstanceUid);
    } catch (error) {
      const conflict = claimConflict(error);
      if (conflict) {
        this.forget();
        this.onLost(conflict.detail);
      }
      // Anything else (the network blinked): the next beat tries again, well before expiry.
    }
  }

  /** The read released the claim on the server; stop renewing it. */
  forget(): void {
    window.clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.held = false;
  }

  /** Give the study back if it is held. `keepalive` for a page that is going away. */
  release(options: { keepalive?: boolean } = {}): void {
    if (!this.held) return;
    this.forget();
    // Nothing to tell the reader who has left; an unreleased claim expires by itself.
    releaseStudy(this.studyInstanceUid, options).catch(() => undefined);
  }
}
