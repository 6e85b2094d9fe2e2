/** A failed request in words for the reader: what could not be done and why, never a trace. */

import { ApiError } from "../api/http";

/** `doing` completes "Could not …": "open this study", "save the read". */
export function problemText(error: unknown, doing: string): string {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case "unauthenticated":
        return "Your session has ended. Sign in again to continue.";
      case "forbidden":
        return `Your role may not ${doing}.`;
      case "not-found":
        return "This study is not on the worklist.";
      case "network":
        return `Could not ${doing}: the server could not be reached. Check the connection and try again.`;
      case "conflict":
      case "bad-request":
        return error.message ? `Could not ${doing}: ${error.message}` : `Could not ${doing}.`;
      case "server":
        return `Could not ${doing}: the server failed (HTTP ${error.status ?? "error"}).`;
    }
  }
  return `Could not ${doing}.`;
}
