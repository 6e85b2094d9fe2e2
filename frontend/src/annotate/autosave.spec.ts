import { describe, expect, it } from "vitest";

import { Autosave, type SaveState, saveStateText } from "./autosave";

/** Timers run by hand: `fire()` runs the one waiting. */
function manualTimers() {
  let waiting: (() => void) | null = null;
  return {
    setTimer: (callback: () => void) => {
      waiting = callback;
      return 1;
    },
    clearTimer: () => {
      waiting = null;
    },
    fire: () => {
      const callback = waiting;
      waiting = null;
      callback?.();
    },
    get pending() {
      return waiting !== null;
    },
  };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Autosave", () => {
  it("sends one save for a burst of changes, and says saved", async () => {
    const timers = manualTimers();
    const states: SaveState[] = [];
    let saves = 0;
    const autosave = new Autosave({ save: async () => void saves++, onState: (s) => states.push(s), ...timers });
    autosave.changed();
    autosave.changed();
    autosave.changed();
    timers.fire();
    await autosave.flush();
    expect(saves).toBe(1);
    expect(states.at(-1)).toEqual({ state: "saved" });
  });

  it("sends changes made during a save in one more save", async () => {
    const timers = manualTimers();
    const first = deferred();
    const calls: number[] = [];
    let call = 0;
    const autosave = new Autosave({
      save: () => {
        calls.push(++call);
        return call === 1 ? first.promise : Promise.resolve();
      },
      onState: () => undefined,
      ...timers,
    });
    autosave.changed();
    const flushing = autosave.flush();
    autosave.changed();
    autosave.changed();
    first.resolve();
    await flushing;
    await autosave.flush();
    expect(calls).toEqual([1, 2]);
    expect(autosave.hasUnsaved).toBe(false);
  });

  it("says why it did not save, and keeps the change for the next try", async () => {
    const timers = manualTimers();
    const states: SaveState[] = [];
    let fail = true;
    const autosave = new Autosave({
      save: async () => {
        if (fail) throw new Error("The box is outside the image.");
      },
      onState: (s) => states.push(s),
      ...timers,
    });
    autosave.changed();
    await expect(autosave.flush()).rejects.toThrow("outside the image");
    expect(saveStateText(states.at(-1) ?? { state: "saved" })).toBe("Not saved: The box is outside the image.");
    expect(autosave.hasUnsaved).toBe(true);
    fail = false;
    await autosave.flush();
    expect(states.at(-1)).toEqual({ state: "saved" });
  });

  it("sends nothing after it is stopped", async () => {
    const timers = manualTimers();
    let saves = 0;
    const autosave = new Autosave({ save: async () => void saves++, onState: () => undefined, ...timers });
    autosave.changed();
    autosave.stop();
    expect(timers.pending).toBe(false);
    await autosave.flush();
    expect(saves).toBe(0);
  });
});
