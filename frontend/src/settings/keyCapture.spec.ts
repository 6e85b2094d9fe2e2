import { describe, expect, it } from "vitest";

import { captureKey } from "./keyCapture";
import { press } from "../app/keyPress.testing";

describe("captureKey", () => {
  it("binds a plain key as shortcuts write it", () => {
    expect(captureKey(press("j"))).toEqual({ kind: "key", key: "j" });
    expect(captureKey(press("ArrowDown"))).toEqual({ kind: "key", key: "ArrowDown" });
    expect(captureKey(press(" "))).toEqual({ kind: "key", key: " " });
  });

  it("keeps Shift for letters and named keys, not for the characters it makes", () => {
    expect(captureKey(press("N", { shiftKey: true }))).toEqual({ kind: "key", key: "Shift+n" });
    expect(captureKey(press("?", { shiftKey: true }))).toEqual({ kind: "key", key: "?" });
    expect(captureKey(press("Enter", { shiftKey: true }))).toEqual({ kind: "key", key: "Shift+Enter" });
  });

  it("binds modifier chords, reading Cmd as Ctrl", () => {
    expect(captureKey(press("k", { ctrlKey: true }))).toEqual({ kind: "key", key: "Ctrl+k" });
    expect(captureKey(press("k", { metaKey: true }))).toEqual({ kind: "key", key: "Ctrl+k" });
  });

  it("waits while only a modifier is down", () => {
    expect(captureKey(press("Shift", { shiftKey: true }))).toEqual({ kind: "wait" });
    expect(captureKey(press("Control", { ctrlKey: true }))).toEqual({ kind: "wait" });
    expect(captureKey(press("Dead"))).toEqual({ kind: "wait" });
  });

  it("cancels on Esc and lets Tab move focus", () => {
    expect(captureKey(press("Escape"))).toEqual({ kind: "cancel" });
    expect(captureKey(press("Escape", { shiftKey: true }))).toEqual({ kind: "key", key: "Shift+Escape" });
    expect(captureKey(press("Tab"))).toEqual({ kind: "pass" });
  });
});
