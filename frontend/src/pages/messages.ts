/** What to tell the user when a request fails. */

import { ApiError } from "../api/http";

export interface ErrorMessage {
  text: string;
  /** Offer a link to sign in again (the session ended). */
  signIn: boolean;
}

/** Where the data comes from, as the messages name it. */
export interface Source {
  /** "The archive", "The worklist": the subject of "… failed to load". */
  name: string;
  /** What to say to a role that may not see it. */
  forbidden: string;
}

export const ARCHIVE: Source = { name: "The archive", forbidden: "Your role cannot read the archive." };

export function describeError(error: unknown, what: string, source: Source = ARCHIVE): ErrorMessage {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case "unauthenticated":
        return { text: "Your session has ended. Sign in again to continue.", signIn: true };
      case "forbidden":
        return { text: source.forbidden, signIn: false };
      case "network":
        return {
          text: `Could not reach the server while loading ${what}. Check the connection and try again.`,
          signIn: false,
        };
      case "not-found":
        return { text: `${source.name} has no ${what} here (it may have been deleted).`, signIn: false };
      case "bad-request":
      case "conflict":
        return { text: error.message || `The request for ${what} was refused.`, signIn: false };
      case "server": {
        const detail = error.message ? `: ${error.message}` : "";
        return {
          text: `${source.name} failed to load ${what} (HTTP ${error.status ?? "error"}${detail}).`,
          signIn: false,
        };
      }
    }
  }
  return { text: `Something went wrong while loading ${what}.`, signIn: false };
}

export function countLabel(count: number | undefined, singular: string, plural: string): string {
  if (count === undefined) return "";
  return `${count} ${count === 1 ? singular : plural}`;
}
