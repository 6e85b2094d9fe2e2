import { describe, expect, it } from "vitest";

import { press } from "./keyPress.testing";
import {
  actionFor,
  conflictingActions,
  conflicts,
  defaultShortcuts,
  keyLabel,
  mergeShortcuts,
  normaliseKey,
} from "./shortcuts";

describe("normaliseKey", () => {
  it("compares keys as the user means them", () => {
    expect(normaliseKey("A")).toBe("a");
    expect(normaliseKey("shift+N")).toBe("Shift+n");
    expect(normaliseKey("Shift+Ctrl+x")).toBe("Ctrl+Shift+x");
    expect(normaliseKey("Meta+k")).toBe("Ctrl+k");
  });

  it("handles the plus key itself", () => {
    expect(normaliseKey("+")).toBe("+");
    expect(normaliseKey("Ctrl++")).toBe("Ctrl++");
  });
});

describe("keyLabel", () => {
  it("writes keys as keycaps show them", () => {
    expect(keyLabel("ArrowDown")).toBe("↓");
    expect(keyLabel("Escape")).toBe("Esc");
    expect(keyLabel(" ")).toBe("Space");
    expect(keyLabel("shift+n")).toBe("Shift+N");
    expect(keyLabel("?")).toBe("?");
  });
});

describe("actionFor", () => {
  const shortcuts = defaultShortcuts();

  it("finds the action of the scope", () => {
    expect(actionFor(press("ArrowDown"), "worklist", shortcuts)).toBe("worklist.down");
    expect(actionFor(press("ArrowDown"), "reading", shortcuts)).toBe("viewer.nextImage");
    expect(actionFor(press("N"), "worklist", shortcuts)).toBe("worklist.nextUrgent"); // Caps Lock
    expect(actionFor(press("N", { shiftKey: true }), "worklist", shortcuts)).toBeNull();
  });

  it("answers help in every scope", () => {
    expect(actionFor(press("?", { shiftKey: true }), "reading", shortcuts)).toBe("help");
  });

  it("uses the user's key instead of the default", () => {
    const mine = mergeShortcuts({ "worklist.nextUrgent": "j" });
    expect(actionFor(press("j"), "worklist", mine)).toBe("worklist.nextUrgent");
    expect(actionFor(press("n"), "worklist", mine)).toBeNull();
  });
});

describe("conflicts", () => {
  it("finds none in the defaults", () => {
    expect(conflicts(defaultShortcuts())).toEqual([]);
  });

  it("names a key bound twice in one scope, and both actions", () => {
    const clash = { ...defaultShortcuts(), "worklist.nextUrgent": "/" };
    expect(conflicts(clash)).toEqual([
      '"/" is bound to both "Open the most urgent unclaimed study" and "Search".',
    ]);
    expect(conflictingActions(clash)).toEqual(new Set(["worklist.nextUrgent", "worklist.search"]));
  });

  it("allows one key in two scopes", () => {
    const shared = { ...defaultShortcuts(), "worklist.nextUrgent": "h" };
    expect(conflicts(shared)).toEqual([]);
  });
});
