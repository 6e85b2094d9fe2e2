import { describe, expect, it } from "vitest";

import type { AuditObject } from "./auditApi";
import {
  actionLabel,
  eventLabel,
  exactLocalTime,
  isFailure,
  objectFilter,
  objectLabel,
  outcomeLabel,
  requestLabel,
  sortedObjects,
  sourceLabel,
  userLabel,
} from "./format";

const object = (kind: string, identifier: string, name = ""): AuditObject => ({
  kind,
  identifier,
  name,
  extra: null,
});

describe("audit event labels", () => {
  it("names actions and outcomes in words, and marks every outcome but success a failure", () => {
    expect(actionLabel("R")).toBe("Read");
    expect(actionLabel("X")).toBe("X");
    expect(outcomeLabel("0")).toBe("Success");
    expect(outcomeLabel(8)).toBe("Serious failure");
    expect(isFailure("0")).toBe(false);
    expect(isFailure(0)).toBe(false);
    expect(isFailure("4")).toBe(true);
    expect(isFailure("12")).toBe(true);
  });

  it("says who, or that nobody was signed in", () => {
    expect(userLabel({ id: 1, username: "reviewer-user", roles: ["reviewer"] })).toBe("reviewer-user");
    expect(userLabel(null)).toBe("(no user)");
  });

  it("joins the event and its type", () => {
    const event = { code: "110110", display: "Patient Record" };
    expect(eventLabel(event, { code: "R", display: "Read" })).toBe("Patient Record · Read");
    expect(eventLabel(event, null)).toBe("Patient Record");
    expect(eventLabel({ code: "110114", display: "" }, null)).toBe("110114");
  });

  it("writes the request, or what there is of it", () => {
    expect(requestLabel({ method: "GET", path: "/dicomweb/studies", status: 200 })).toBe(
      "GET /dicomweb/studies → 200",
    );
    expect(requestLabel({ method: "", path: "", status: null })).toBe("");
    expect(requestLabel({ method: "POST", path: "/accounts/login/", status: null })).toBe("POST /accounts/login/");
    expect(sourceLabel({ source: "dicomweb", peer: "127.0.0.1" })).toBe("dicomweb 127.0.0.1");
    expect(sourceLabel({ source: "", peer: "127.0.0.1" })).toBe("127.0.0.1");
  });
});

describe("audit objects", () => {
  it("offers patients and studies as filters, nothing else", () => {
    expect(objectFilter(object("patient", "PID-1"))).toBe("patient");
    expect(objectFilter(object("Study", "1.2.3"))).toBe("study");
    expect(objectFilter(object("user", "7"))).toBeNull();
  });

  it("names an object by its name and identifier", () => {
    expect(objectLabel(object("patient", "PID-1", "Doe^Jane"))).toBe("Patient Doe, Jane (PID-1)");
    expect(objectLabel(object("patient", "PID-2"))).toBe("Patient PID-2");
    expect(objectLabel(object("study", "1.2.3"))).toBe("Study 1.2.3");
    expect(objectLabel(object("study", "1.2.3", "1.2.3"))).toBe("Study 1.2.3");
  });

  it("lists the patient, then the study, then the rest", () => {
    const sorted = sortedObjects([object("series", "4"), object("study", "1"), object("patient", "P")]);
    expect(sorted.map((o) => o.kind)).toEqual(["patient", "study", "series"]);
  });
});

describe("exactLocalTime", () => {
  it("gives the local time to the second with the zone's offset", () => {
    const iso = "2026-11-30T04:40:12Z";
    const shown = exactLocalTime(iso);
    const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) \(UTC([+-]\d{2}:\d{2})\)$/.exec(shown);
    expect(match).not.toBeNull();
    const [, day, time, offset] = match ?? [];
    expect(new Date(`${day}T${time}${offset}`).toISOString()).toBe("2026-11-30T04:40:12.000Z");
    expect(exactLocalTime("not a time")).toBe("not a time");
  });
});

