import { describe, expect, it } from "vitest";

import {
  NEW_SCHEDULE,
  scheduleBody,
  scheduleErrors,
  scheduleText,
  scheduleToggled,
  settingsBody,
  settingsDraftFrom,
  settingsErrors,
} from "./forms";

const STORED = {
  target_sensitivity: 0.95,
  promotion_margin: 0,
  auto_promote: true,
  shadow_hours: 0,
  default_mode: "fine_tune" as const,
};

describe("the training settings form", () => {
  it("sends back what it showed, as numbers", () => {
    const draft = { ...settingsDraftFrom(STORED), promotion_margin: "0.01", auto_promote: false };
    expect(settingsErrors(draft)).toEqual({});
    expect(settingsBody(draft)).toEqual({ ...STORED, promotion_margin: 0.01, auto_promote: false });
  });

  it("names each field typed wrong", () => {
    const draft = { ...settingsDraftFrom(STORED), target_sensitivity: "95", promotion_margin: "", shadow_hours: "-1" };
    expect(Object.keys(settingsErrors(draft)).sort()).toEqual([
      "promotion_margin",
      "shadow_hours",
      "target_sensitivity",
    ]);
  });
});

describe("the schedule form", () => {
  it("sends a nightly schedule as hour and minute", () => {
    const draft = { ...NEW_SCHEDULE, time: "03:45" };
    expect(scheduleErrors(draft)).toEqual({});
    expect(scheduleBody("chest", draft)).toEqual({
      task: "chest",
      kind: "nightly",
      enabled: true,
      hour: 3,
      minute: 45,
      mode: "fine_tune",
    });
  });

  it("sends a label-count schedule as N and its check interval", () => {
    const draft = { ...NEW_SCHEDULE, kind: "labels" as const, min_new_labels: "50", check_minutes: "15" };
    const body = scheduleBody("chest", draft);
    expect(body).not.toHaveProperty("hour");
    expect([body.min_new_labels, body.check_minutes]).toEqual([50, 15]);
    expect(scheduleText({ ...body, mode: "scratch" })).toBe(
      "When 50 new labels (checked every 15 min, from scratch)",
    );
  });

  it("refuses an impossible time or count by field", () => {
    expect(scheduleErrors({ ...NEW_SCHEDULE, time: "25:00" })).toHaveProperty("time");
    const labels = { ...NEW_SCHEDULE, kind: "labels" as const, min_new_labels: "0", check_minutes: "x" };
    expect(Object.keys(scheduleErrors(labels)).sort()).toEqual(["check_minutes", "min_new_labels"]);
  });

  it("turns a stored schedule off and on", () => {
    const stored = {
      ...scheduleBody("chest", NEW_SCHEDULE),
      min_new_labels: 200,
      check_minutes: 15,
      hour: 2,
      minute: 0,
      id: 3,
      last_fired_at: null,
      last_result: "",
    };
    expect(scheduleToggled(stored).enabled).toBe(false);
    expect(scheduleText(stored)).toBe("Nightly at 02:00 (fine-tune)");
  });
});
