/** fetch() with the session cookie, and one error type that says what went wrong. */

export type ApiErrorKind = "unauthenticated" | "forbidden" | "not-found" | "network" | "server";

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;

  constructor(kind: ApiErrorKind, message: string, status?: number) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
  }
}

export function errorKindForStatus(status: number): ApiErrorKind {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  return "server";
}

/** The server's own explanation from a JSON error body ({"detail": ...}), if it gave one. */
async function detailOf(response: Response): Promise<string> {
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object" && "detail" in body) {
      const detail = (body as { detail: unknown }).detail;
      return Array.isArray(detail) ? detail.join(" ") : String(detail);
    }
  } catch {
    // Not JSON: the status line says enough.
  }
  return response.statusText;
}

/**
 * GET a JSON resource as the logged-in user. 204 No Content reads as `emptyValue` (QIDO-RS
 * answers an empty search that way). Throws ApiError for HTTP errors and network failures.
 */
export async function getJson<T>(
  url: string,
  options: { accept?: string; signal?: AbortSignal; emptyValue?: T } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "GET",
      credentials: "same-origin",
      headers: { Accept: options.accept ?? "application/json" },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError("network", "The server could not be reached.");
  }
  if (response.status === 204 && options.emptyValue !== undefined) return options.emptyValue;
  if (!response.ok) {
    const detail = await detailOf(response);
    throw new ApiError(errorKindForStatus(response.status), detail, response.status);
  }
  return (await response.json()) as T;
}

/** A cookie's value from a `document.cookie` string, or "" when it is not set. */
export function readCookie(cookieString: string, name: string): string {
  for (const part of cookieString.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}
