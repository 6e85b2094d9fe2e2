import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, errorKindForStatus, getJson, readCookie } from "./http";

describe("readCookie", () => {
  it("finds a cookie among others and decodes it", () => {
    expect(readCookie("sessionid=abc; csrftoken=t%3Dk; theme=dark", "csrftoken")).toBe("t=k");
  });

  it("answers empty when the cookie is absent", () => {
    expect(readCookie("", "csrftoken")).toBe("");
    expect(readCookie("xcsrftoken=1", "csrftoken")).toBe("");
  });
});

describe("getJson", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends the session cookie and the requested media type", async () => {
    const fetchMock = vi.fn(async () => new Response("[]", { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    await getJson("/dicomweb/studies", { accept: "application/dicom+json" });
    expect(fetchMock).toHaveBeenCalledWith("/dicomweb/studies", {
      method: "GET",
      credentials: "same-origin",
      headers: { Accept: "application/dicom+json" },
    });
  });

  it("reads 204 No Content as the empty value", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(null, { status: 204 })));
    await expect(getJson("/x", { emptyValue: [] })).resolves.toEqual([]);
  });

  it("turns 403 into a forbidden error carrying the server's detail", async () => {
    const body = JSON.stringify({ detail: "Your role may not read the archive." });
    vi.stubGlobal("fetch", vi.fn(async () => new Response(body, { status: 403 })));
    const error = await getJson("/x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: "forbidden", status: 403 });
  });

  it("turns a failed fetch into a network error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(getJson("/x")).rejects.toMatchObject({ kind: "network" });
  });

  it("maps statuses to error kinds", () => {
    expect(errorKindForStatus(401)).toBe("unauthenticated");
    expect(errorKindForStatus(404)).toBe("not-found");
    expect(errorKindForStatus(502)).toBe("server");
  });
});
