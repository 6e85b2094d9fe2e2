import { describe, expect, it } from "vitest";

import { ApiError } from "../api/http";
import { problemText } from "./problemText";

describe("problemText", () => {
  it("says the study is not on the worklist for a 404", () => {
    expect(problemText(new ApiError("not-found", "Not found", 404), "open this study")).toBe(
      "This study is not on the worklist.",
    );
  });

  it("passes on the server's own explanation of a conflict", () => {
    const error = new ApiError("conflict", "dr.smith is reading this study (since 10:02).", 409);
    expect(problemText(error, "save the read")).toBe(
      "Could not save the read: dr.smith is reading this study (since 10:02).",
    );
  });

  it("tells a network failure from a server failure", () => {
    expect(problemText(new ApiError("network", "x"), "save the read")).toMatch(/could not be reached/);
    expect(problemText(new ApiError("server", "", 502), "save the read")).toBe(
      "Could not save the read: the server failed (HTTP 502).",
    );
  });

  it("never shows a stack trace for an unexpected error", () => {
    expect(problemText(new TypeError("x is undefined"), "open this study")).toBe("Could not open this study.");
  });
});
