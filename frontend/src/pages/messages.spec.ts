import { describe, expect, it } from "vitest";

import { ApiError } from "../api/http";
import { countLabel, describeError } from "./messages";

describe("describeError", () => {
  it("says the role cannot read the archive on 403", () => {
    const message = describeError(new ApiError("forbidden", "nope", 403), "studies");
    expect(message).toEqual({ text: "Your role cannot read the archive.", signIn: false });
  });

  it("offers to sign in again on 401", () => {
    expect(describeError(new ApiError("unauthenticated", "", 401), "studies").signIn).toBe(true);
  });

  it("names a network failure as such", () => {
    expect(describeError(new ApiError("network", ""), "studies").text).toMatch(/could not reach the server/i);
  });

  it("shows the status and the server's detail for other failures", () => {
    const text = describeError(new ApiError("server", "Bad query", 400), "studies").text;
    expect(text).toContain("HTTP 400: Bad query");
  });

  it("has a message for unexpected errors", () => {
    expect(describeError(new Error("boom"), "the series").text).toContain("the series");
  });
});

describe("countLabel", () => {
  it("uses the singular for one", () => {
    expect(countLabel(1, "instance", "instances")).toBe("1 instance");
    expect(countLabel(3, "instance", "instances")).toBe("3 instances");
    expect(countLabel(undefined, "instance", "instances")).toBe("");
  });
});
