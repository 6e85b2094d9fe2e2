import { describe, expect, it } from "vitest";

import type { StoredLabel } from "../api/annotate";
import type { CaseAgreement } from "./reviewApi";
import { decisionBody, describeLabel, disputeText, formatFigure, formatVotes } from "./reviewFormat";

function agreement(votes: Record<string, number>, majority: string[] | null): CaseAgreement {
  return {
    annotators: 3,
    votes,
    majority,
    class_disagreement: 0,
    box_iou: null,
    box_pairs: 0,
    mask_dice: null,
    mask_pairs: 0,
  };
}

const split = agreement({ a: 1, b: 1 }, null);
const agreed = agreement({ a: 2, b: 1 }, ["a"]);

describe("figures and votes", () => {
  it("shows undefined figures as a dash, not zero", () => {
    expect(formatFigure(null)).toBe("—");
    expect(formatFigure(0)).toBe("0.00");
    expect(formatFigure(0.2099)).toBe("0.21");
  });

  it("lists the most voted answer first, multi-label answers joined", () => {
    expect(formatVotes({ b: 1, "a+b": 2 }, (key) => key.toUpperCase())).toBe("A + B 2 · B 1");
  });

  it("says whether there is a majority", () => {
    expect(disputeText(split)).toBe("no majority");
    expect(disputeText(agreed)).toBe("2 of 3 agree");
    expect(disputeText(agreement({ a: 3 }, ["a"]))).toBe("all agree");
  });

  it("describes boxes and masks in pixels", () => {
    const box = { id: 1, kind: "box", value: { class: "r", x: 1.4, y: 2, width: 30, height: 40 } } as StoredLabel;
    const mask = { id: 2, kind: "mask", value: { class: "r", rows: 2, columns: 3, rle: [1, 2, 1, 2] } } as StoredLabel;

    expect(describeLabel(box)).toBe("box r at (1, 2) 30×40");
    expect(describeLabel(mask)).toBe("mask r, 4 px");
  });
});

describe("decision bodies", () => {
  const draft = { classes: null, regions: [], note: "" };

  it("accepts the majority by sending no labels", () => {
    expect(decisionBody({ ...draft, decision: "accept" }, agreed)).toEqual({ decision: "accept" });
  });

  it("will not accept a split vote without a chosen class", () => {
    expect(decisionBody({ ...draft, decision: "accept" }, split)).toMatch(/no majority/);
  });

  it("sends the chosen class and the kept regions for an edit", () => {
    const box = { kind: "box", value: { class: "r", x: 0, y: 0, width: 1, height: 1 } } as const;

    expect(decisionBody({ decision: "edit", classes: ["b"], regions: [box], note: " why " }, split)).toEqual({
      decision: "edit",
      labels: [{ kind: "class", value: "b" }, box],
      note: "why",
    });
    expect(decisionBody({ ...draft, decision: "edit" }, agreed)).toMatch(/Choose the class/);
  });

  it("needs a note to reject, and sends no labels", () => {
    expect(decisionBody({ ...draft, decision: "reject", note: "  " }, agreed)).toMatch(/needs a note/);
    expect(decisionBody({ ...draft, decision: "reject", note: "cut off" }, agreed)).toEqual({
      decision: "reject",
      note: "cut off",
    });
  });
});

describe("review routes", async () => {
  const { routeFor, sectionOf } = await import("../app/routes");

  it("opens the queue, a case and the agreement page under the Review tab", () => {
    expect(routeFor("/review", [])).toEqual({ page: "review", pseudonym: null });
    expect(routeFor("/review/c-1/", [])).toEqual({ page: "review", pseudonym: "c-1" });
    expect(routeFor("/review/agreement", [])).toEqual({ page: "agreement" });
    expect(sectionOf({ page: "agreement" })).toBe("review");
  });
});
