/** What to tell the user when a request fails. */

import { ApiError } from "../api/http";

export interface ErrorMessage {
  text: string;
  /** Offer a link to sign in again (the session ended). */
  signIn: boolean;
}

export function describeError(error: unknown, what: string): ErrorMessage {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case "unauthenticated":
        return { text: "Your session has ended. Sign in again to continue.", signIn: true };
      case "forbidden":
        return { text: "Your role cannot read the archive.", signIn: false };
      case "network":
        return {
          text: `Could not reach the server while loading ${what}. Check the connection and try again.`,
          signIn: false,
        };
      case "not-found":
        return { text: `The archive has no ${what} here (it may have been deleted).`, signIn: false };
      case "server": {
        const detail = error.message ? `: ${error.message}` : "";
        return {
          text: `The archive failed to load ${what} (HTTP ${error.status ?? "error"}${detail}).`,
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
