import { describe, expect, it } from "vitest";

import { startLinks } from "./startLinks";

const hrefs = (roles: string[]): string[] => startLinks(roles).map((link) => link.href);

describe("startLinks", () => {
  it("sends an annotator to the workspace, and nowhere they would be refused", () => {
    expect(hrefs(["annotator"])).toEqual(["/annotate"]);
  });

  it("sends a reviewer to the review queue and the agreement page", () => {
    expect(hrefs(["reviewer"])).toEqual(["/", "/review", "/review/agreement"]);
  });

  it("gives an admin the agreement page but not the review queue", () => {
    expect(hrefs(["admin"])).toEqual(["/", "/review/agreement"]);
  });

  it("has nothing for a role that works outside the browser, or for no role", () => {
    expect(hrefs(["modality"])).toEqual([]);
    expect(hrefs([])).toEqual([]);
  });
});
