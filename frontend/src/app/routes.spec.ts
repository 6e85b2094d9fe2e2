import { describe, expect, it } from "vitest";

import { isAppPath, readingPath, routeFor, sectionOf } from "./routes";

describe("routeFor", () => {
  it("opens the worklist at / for those who may see it, the workspace for annotators, else the start page", () => {
    expect(routeFor("/", ["radiologist"])).toEqual({ page: "worklist" });
    expect(routeFor("/", ["reviewer"])).toEqual({ page: "worklist" });
    expect(routeFor("/", ["admin"])).toEqual({ page: "worklist" });
    expect(routeFor("/", ["annotator"])).toEqual({ page: "annotate", pseudonym: null });
    expect(routeFor("/", [])).toEqual({ page: "start" });
  });

  it("knows every page, with or without a trailing slash", () => {
    expect(routeFor("/worklist", [])).toEqual({ page: "worklist" });
    expect(routeFor("/archive/", [])).toEqual({ page: "archive" });
    expect(routeFor("/dashboard", [])).toEqual({ page: "dashboard" });
    expect(routeFor("/settings/shortcuts", [])).toEqual({ page: "shortcuts" });
    expect(routeFor("/nowhere", [])).toEqual({ page: "not-found" });
  });

  it("opens the annotation settings at /annotate/settings, not a case called settings", () => {
    expect(routeFor("/annotate/settings", ["admin"])).toEqual({ page: "annotation-settings" });
    expect(routeFor("/annotate/settings/", ["annotator"])).toEqual({ page: "annotation-settings" });
    expect(routeFor("/annotate/0123456789abcdef", ["annotator"])).toEqual({
      page: "annotate",
      pseudonym: "0123456789abcdef",
    });
    expect(sectionOf({ page: "annotation-settings" })).toBe("annotation-settings");
  });

  it("opens the models page at /models, its own header tab", () => {
    expect(routeFor("/models", ["admin"])).toEqual({ page: "models" });
    expect(routeFor("/models/", ["radiologist"])).toEqual({ page: "models" });
    expect(sectionOf({ page: "models" })).toBe("models");
  });

  it("opens the audit page at /audit, its own header tab", () => {
    expect(routeFor("/audit", ["admin"])).toEqual({ page: "audit" });
    expect(routeFor("/audit/", ["radiologist"])).toEqual({ page: "audit" });
    expect(sectionOf({ page: "audit" })).toBe("audit");
    expect(isAppPath("/audit")).toBe(true);
  });

  it("reads the study of a reading page", () => {
    const uid = "1.2.826.0.1.3680043.8.498.1";
    expect(routeFor(readingPath(uid), [])).toEqual({ page: "reading", studyUid: uid });
    expect(routeFor("/read/%E0%A4%A", [])).toEqual({ page: "not-found" });
  });

  it("leaves server paths to the server", () => {
    expect(isAppPath("/accounts/login/")).toBe(false);
    expect(isAppPath("/api/worklist")).toBe(false);
    expect(isAppPath("/read/1.2.3")).toBe(true);
  });

  it("marks reading as part of the worklist", () => {
    expect(sectionOf({ page: "reading", studyUid: "1" })).toBe("worklist");
    expect(sectionOf({ page: "not-found" })).toBeNull();
    expect(sectionOf({ page: "start" })).toBe("start");
  });
});
