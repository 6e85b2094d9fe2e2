/** fetch() with the session cookie, and one error type that says what went wrong. */

export type ApiErrorKind =
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "bad-request"
  | "network"
  | "server";

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;
  /** The parsed JSON error body, when there was one (409 carries the current claim). */
  readonly body: unknown;

  constructor(kind: ApiErrorKind, message: string, status?: number, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.body = body;
  }
}

export function errorKindForStatus(status: number): ApiErrorKind {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 400) return "bad-request";
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

/** What a GET may add: the media type it accepts, an abort signal, the value of 204, more headers. */
export interface GetOptions<T> {
  accept?: string;
  signal?: AbortSignal;
  emptyValue?: T;
  headers?: Record<string, string>;
}

/**
 * GET a JSON resource as the logged-in user. 204 No Content reads as `emptyValue` (QIDO-RS
 * answers an empty search that way). Throws ApiError for HTTP errors and network failures.
 */
export async function getJson<T>(url: string, options: GetOptions<T> = {}): Promise<T> {
  return (await getJsonResponse(url, options)).body;
}

/** getJson, with the response's headers too (a total count sent beside the body). */
export async function getJsonResponse<T>(
  url: string,
  options: GetOptions<T> = {},
): Promise<{ body: T; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "GET",
      credentials: "same-origin",
      headers: { ...options.headers, Accept: options.accept ?? "application/json" },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError("network", "The server could not be reached.");
  }
  if (response.status === 204 && options.emptyValue !== undefined) {
    return { body: options.emptyValue, headers: response.headers };
  }
  if (!response.ok) {
    const detail = await detailOf(response);
    throw new ApiError(errorKindForStatus(response.status), detail, response.status);
  }
  return { body: (await response.json()) as T, headers: response.headers };
}

/** A cookie's value from a `document.cookie` string, or "" when it is not set. */
export function readCookie(cookieString: string, name: string): string {
  for (const part of cookieString.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** The CSRF token Django keeps in the csrftoken cookie, for unsafe requests. */
export function csrfToken(): string {
  return readCookie(document.cookie, "csrftoken");
}

/**
 * Send a JSON body (POST, PUT, PATCH, DELETE) as the logged-in user with the CSRF token, and
 * return the JSON answer (undefined for 204). `keepalive` lets the request outlive the page
 * (releasing a claim on pagehide). Throws ApiError with the server's `detail` and, for 409
 * Conflict, the parsed body in `body`.
 */
export async function sendJson<T>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
  options: { signal?: AbortSignal; keepalive?: boolean } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.keepalive ? { keepalive: true } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError("network", "The server could not be reached.");
  }
  if (response.status === 204) return undefined as T;
  if (!response.ok) {
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the status line says enough.
    }
    const detail =
      parsed && typeof parsed === "object" && "detail" in parsed
        ? String((parsed as { detail: unknown }).detail)
        : response.statusText;
    const kind = response.status === 409 ? "conflict" : errorKindForStatus(response.status);
    throw new ApiError(kind, detail, response.status, parsed);
  }
  return (await response.json()) as T;
}
