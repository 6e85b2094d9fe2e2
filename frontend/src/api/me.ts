/** The logged-in user, from GET /api/me. */

import { getJson } from "./http";

export interface Me {
  username: string;
  roles: string[];
}

export function getMe(signal?: AbortSignal): Promise<Me> {
  return getJson<Me>("/api/me", signal ? { signal } : {});
}
