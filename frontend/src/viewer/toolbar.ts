/**
 * The viewer's toolbar: one button per viewer action (its title names the action and its key,
 * as the reader set it), and the heatmap's switch and opacity slider.
 */

import { SHORTCUT_ACTIONS, type ShortcutId, type ShortcutMap } from "../app/shortcuts";
import { h } from "../pages/dom";
import type { ViewerAction } from "./actions";
import type { HeatmapState } from "./heatmapOverlay";
import type { PrimaryTool } from "./stackDisplay";
import type { WindowPreset } from "./windowing";

/** The tool each tool-selecting action puts on the left mouse button. */
const TOOL_ACTIONS: Partial<Record<ViewerAction, PrimaryTool>> = {
  "viewer.toolWindowLevel": "windowLevel",
  "viewer.toolPan": "pan",
  "viewer.toolZoom": "zoom",
  "viewer.toolLength": "length",
  "viewer.toolAngle": "angle",
  "viewer.toolRoi": "roi",
};

/** The tool an action puts on the left mouse button, if it is a tool-selecting action. */
export function toolOf(action: ViewerAction): PrimaryTool | undefined {
  return TOOL_ACTIONS[action];
}

/**
 * The window preset keys, by position: the n-th key applies the n-th preset the image's modality
 * offers (on CT lung, mediastinum, bone, brain; on a radiograph its own window, lung and bone
 * contrast), so the keys always do what the buttons beside them show.
 */
const PRESET_ACTIONS = [
  "viewer.presetLung",
  "viewer.presetMediastinum",
  "viewer.presetBone",
  "viewer.presetBrain",
] as const satisfies readonly ViewerAction[];

/** The 0-based preset position a preset key stands for, if it is one. */
export function presetSlotOf(action: ViewerAction): number | undefined {
  const slot = (PRESET_ACTIONS as readonly ViewerAction[]).indexOf(action);
  return slot < 0 ? undefined : slot;
}

/** Toolbar groups, each button with its short caption. */
const GROUPS: readonly { label: string; buttons: readonly [ViewerAction, string][] }[] = [
  {
    label: "Mouse tool",
    buttons: [
      ["viewer.toolWindowLevel", "W/L"],
      ["viewer.toolPan", "Pan"],
      ["viewer.toolZoom", "Zoom"],
      ["viewer.toolLength", "Length"],
      ["viewer.toolAngle", "Angle"],
      ["viewer.toolRoi", "Ellipse"],
    ],
  },
  {
    label: "Window",
    buttons: [
      ["viewer.invert", "Invert"],
      ["viewer.reset", "Reset"],
    ],
  },
  {
    label: "Navigate",
    buttons: [
      ["viewer.previousImage", "◀ Image"],
      ["viewer.nextImage", "Image ▶"],
      ["viewer.previousSeries", "◀ Series"],
      ["viewer.nextSeries", "Series ▶"],
    ],
  },
];

export interface ToolbarHandlers {
  perform(action: ViewerAction): void;
  setHeatmapVisible(visible: boolean): void;
  setHeatmapOpacity(opacity: number): void;
  setSegmentationVisible(visible: boolean): void;
}

/** What the segmentation switch says about the series shown. */
export interface SegmentationState {
  /** The segments over this series ("Liver"); empty when it has none. */
  labels: readonly string[];
  visible: boolean;
  /** Whether the study has any segmentation (or one failed to load): else the switch is hidden. */
  inStudy: boolean;
  /** Why there is none to show, when that is worth saying ("loading…"). */
  note?: string;
}

const LABELS = new Map<string, string>(SHORTCUT_ACTIONS.map((action) => [action.id, action.label]));

function titleOf(action: ShortcutId, shortcuts: ShortcutMap): string {
  return `${LABELS.get(action) ?? action} (${shortcuts[action]})`;
}

export class Toolbar {
  readonly element: HTMLElement;
  private readonly buttons = new Map<ViewerAction, HTMLButtonElement>();
  private readonly heatmapSwitch: HTMLInputElement;
  private readonly heatmapOpacity: HTMLInputElement;
  private readonly heatmapNote: HTMLElement;
  private readonly segmentationSwitch: HTMLInputElement;
  private readonly segmentationNote: HTMLElement;
  private readonly segmentationGroup: HTMLElement;
  /** The image's window presets, first in the "Window" group. */
  private readonly presets = h("span", { class: "viewer-presets" });
  private presetButtons: HTMLButtonElement[] = [];

  constructor(
    private readonly shortcuts: ShortcutMap,
    private readonly handlers: ToolbarHandlers,
  ) {
    const groups = GROUPS.map((group) =>
      h(
        "div",
        { class: "viewer-toolgroup", role: "group", "aria-label": group.label },
        ...group.buttons.map(([action, caption]) => {
          const button = h(
            "button",
            {
              type: "button",
              class: "button-quiet",
              title: titleOf(action, shortcuts),
              "aria-keyshortcuts": shortcuts[action],
              "data-action": action,
            },
            caption,
          );
          button.addEventListener("click", () => handlers.perform(action));
          this.buttons.set(action, button);
          return button;
        }),
      ),
    );

    groups[GROUPS.findIndex((group) => group.label === "Window")]?.prepend(this.presets);

    this.heatmapSwitch = h("input", { type: "checkbox", "aria-keyshortcuts": shortcuts["viewer.heatmap"] });
    this.heatmapSwitch.addEventListener("change", () =>
      handlers.setHeatmapVisible(this.heatmapSwitch.checked),
    );
    this.heatmapOpacity = h("input", {
      type: "range",
      min: 10,
      max: 100,
      step: 10,
      "aria-label": "Heatmap opacity",
      title: `Heatmap opacity (${shortcuts["viewer.heatmapLess"]} ${shortcuts["viewer.heatmapMore"]})`,
    });
    this.heatmapOpacity.addEventListener("input", () =>
      handlers.setHeatmapOpacity(Number(this.heatmapOpacity.value) / 100),
    );
    this.heatmapNote = h("span", { class: "viewer-heatmap-note" });
    const heatmap = h(
      "div",
      { class: "viewer-toolgroup viewer-heatmap", role: "group", "aria-label": "AI heatmap" },
      h("label", { title: titleOf("viewer.heatmap", shortcuts) }, this.heatmapSwitch, " Heatmap"),
      this.heatmapOpacity,
      this.heatmapNote,
    );
    // After a click, focus goes back to the page: a focused checkbox or slider counts as typing
    // and would swallow the reading shortcuts. Keyboard users keep focus where they put it.
    this.segmentationSwitch = h("input", { type: "checkbox", disabled: true });
    this.segmentationSwitch.addEventListener("change", () =>
      handlers.setSegmentationVisible(this.segmentationSwitch.checked),
    );
    this.segmentationNote = h("span", { class: "viewer-heatmap-note", "data-testid": "segmentation-note" });
    const segmentationGroup = h(
      "div",
      { class: "viewer-toolgroup viewer-heatmap", role: "group", "aria-label": "Segmentation", hidden: true },
      h("label", { title: "Show the study's segmentation (DICOM SEG) over this series" }, this.segmentationSwitch, " Segmentation"),
      this.segmentationNote,
    );
    // As for the heatmap: a focused checkbox would swallow the reading shortcuts.
    for (const group of [heatmap, segmentationGroup]) {
      group.addEventListener("pointerup", () =>
        window.setTimeout(() => {
          const focused = document.activeElement;
          if (focused instanceof HTMLElement && group.contains(focused)) focused.blur();
        }),
      );
    }
    this.element = h(
      "div",
      { class: "viewer-toolbar", role: "toolbar", "aria-label": "Viewer tools" },
      ...groups,
      heatmap,
      segmentationGroup,
    );
    this.segmentationGroup = segmentationGroup;
  }

  showTool(tool: PrimaryTool): void {
    for (const [action, button] of this.buttons) {
      const actionTool = toolOf(action);
      if (actionTool) button.setAttribute("aria-pressed", String(actionTool === tool));
    }
  }

  /** Offer these presets, each on the preset key of its position. */
  showPresets(presets: readonly WindowPreset[]): void {
    this.presetButtons = presets.slice(0, PRESET_ACTIONS.length).map((preset, slot) => {
      const action = PRESET_ACTIONS[slot] as ViewerAction;
      const key = this.shortcuts[action];
      const button = h(
        "button",
        {
          type: "button",
          class: "button-quiet",
          title: `Window: ${preset.caption}, W ${Math.round(preset.window.width)} L ${Math.round(preset.window.center)} (${key})`,
          "aria-keyshortcuts": key,
          "aria-pressed": "false",
          "data-action": action,
          "data-preset": preset.id,
        },
        preset.caption,
      );
      button.addEventListener("click", () => this.handlers.perform(action));
      return button;
    });
    this.presets.replaceChildren(...this.presetButtons);
  }

  /** Mark the preset the image is shown in now (none after a free window/level drag). */
  showPreset(id: string | null): void {
    for (const button of this.presetButtons) {
      button.setAttribute("aria-pressed", String(button.dataset["preset"] === id));
    }
  }

  showSegmentation(state: SegmentationState): void {
    const available = state.labels.length > 0;
    this.segmentationGroup.hidden = !state.inStudy;
    this.segmentationSwitch.disabled = !available;
    this.segmentationSwitch.checked = available && state.visible;
    this.segmentationNote.textContent = available ? state.labels.join(", ") : (state.note ?? "none for this series");
  }

  showInverted(inverted: boolean): void {
    this.buttons.get("viewer.invert")?.setAttribute("aria-pressed", String(inverted));
  }

  /** The switch is the reader's choice and stays usable; the note says when an image has none. */
  showHeatmap(state: HeatmapState): void {
    this.heatmapSwitch.checked = state.visible;
    this.heatmapOpacity.value = String(Math.round(state.opacity * 100));
    this.heatmapNote.textContent = state.available ? "" : "none for this image";
  }
}
