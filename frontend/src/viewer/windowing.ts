/** Window/level presets and the conversions between a window and Cornerstone's VOI range. Pure. */

export interface WindowLevel {
  width: number;
  center: number;
}

export interface VoiRange {
  lower: number;
  upper: number;
}

/** The usual CT windows, in Hounsfield units. */
export const WINDOW_PRESETS = {
  lung: { width: 1500, center: -600 },
  mediastinum: { width: 350, center: 50 },
  bone: { width: 2000, center: 300 },
  brain: { width: 80, center: 40 },
} as const satisfies Record<string, WindowLevel>;

export type WindowPresetName = keyof typeof WINDOW_PRESETS;

export function voiRangeOf(window: WindowLevel): VoiRange {
  return { lower: window.center - window.width / 2, upper: window.center + window.width / 2 };
}

export function windowLevelOf(range: VoiRange): WindowLevel {
  return { width: range.upper - range.lower, center: (range.upper + range.lower) / 2 };
}
