/**
 * Follow the worklist's change feed (Server-Sent Events). EventSource reconnects by itself after
 * a dropped connection, resuming with Last-Event-ID; when the server refuses outright (a deploy
 * in progress, a 5xx) it gives up, so this tries again with a growing pause.
 */

import { WORKLIST_EVENTS_URL, type WorklistChange } from "../api/worklist";

export type Connection = "connecting" | "live" | "reconnecting" | "offline";

export interface FeedHandlers {
  onChange(change: WorklistChange): void;
  onConnection(state: Connection): void;
  /** Connected again after a break: changes may have been missed, re-read the list. */
  onResumed(): void;
}

const RETRY_MS = [2_000, 5_000, 10_000, 30_000];

function parseChange(data: string): WorklistChange | null {
  try {
    const value: unknown = JSON.parse(data);
    if (value && typeof value === "object" && "study_instance_uid" in value) return value as WorklistChange;
  } catch {
    // A malformed event carries no study to show; the next refresh still shows the truth.
  }
  return null;
}

/** Start following; returns a function that stops for good. */
export function followWorklistChanges(handlers: FeedHandlers): () => void {
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let everConnected = false;
  let stopped = false;

  const connect = (): void => {
    handlers.onConnection(everConnected ? "reconnecting" : "connecting");
    source = new EventSource(WORKLIST_EVENTS_URL);
    source.addEventListener("ready", () => {
      const resumed = everConnected || failures > 0;
      failures = 0;
      everConnected = true;
      handlers.onConnection("live");
      if (resumed) handlers.onResumed();
    });
    source.addEventListener("worklist", (event: MessageEvent<string>) => {
      const change = parseChange(event.data);
      if (change) handlers.onChange(change);
    });
    source.addEventListener("error", () => {
      if (stopped || !source) return;
      if (source.readyState === EventSource.CONNECTING) {
        handlers.onConnection("reconnecting");
        return;
      }
      // CLOSED: the browser will not retry this one.
      source.close();
      handlers.onConnection("offline");
      const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 30_000;
      failures += 1;
      retryTimer = setTimeout(connect, delay);
    });
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    source?.close();
  };
}
