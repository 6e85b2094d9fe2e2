/**
 * One Cornerstone stack viewport with its rendering engine and tool group: the mouse tools, the
 * window presets, invert and reset. Created per viewer and destroyed with it. The annotation
 * workspace adds its own tools (boxes, brush, eraser, contours) to the same group.
 */

import { Enums, RenderingEngine, type Types } from "@cornerstonejs/core";
import {
  AngleTool,
  EllipticalROITool,
  Enums as ToolsEnums,
  LengthTool,
  PanTool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  utilities as toolsUtilities,
} from "@cornerstonejs/tools";

import { type WindowLevel, voiRangeOf, windowLevelOf } from "./windowing";

const { MouseBindings } = ToolsEnums;

/** The tools the left mouse button can take, by the name the toolbar and shortcuts use. */
const PRIMARY_TOOLS = {
  windowLevel: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  length: LengthTool.toolName,
  angle: AngleTool.toolName,
  roi: EllipticalROITool.toolName,
} as const;

export type PrimaryTool = keyof typeof PRIMARY_TOOLS;

/**
 * A tool added to the group besides the reading ones: a registered tool by its name, or (with
 * `of`) an instance of one under a name of its own (an eraser is a BrushTool with another
 * strategy), with its configuration.
 */
export interface ExtraTool {
  name: string;
  of?: string;
  configuration?: Record<string, unknown>;
  /** Passive tools keep their annotations editable whichever tool has the left button. */
  passive?: boolean;
}

export interface StackDisplayOptions {
  extraTools?: readonly ExtraTool[];
}

let nextId = 0;

export class StackDisplay {
  readonly viewport: Types.IStackViewport;
  private readonly engine: RenderingEngine;
  readonly toolGroupId: string;
  /** The name of the tool on the left button. */
  private primaryName: string = WindowLevelTool.toolName;
  /**
   * Whether the reader inverted the image. Not the viewport's own `invert`: Cornerstone inverts
   * MONOCHROME1 images (radiographs stored white-is-low) just to show them the right way round.
   */
  private invertedByReader = false;
  /** The window the viewer chose for images whose header has none (null: Cornerstone's own). */
  private defaultWindow: WindowLevel | null = null;

  constructor(element: HTMLDivElement, options: StackDisplayOptions = {}) {
    const id = `reading-${++nextId}`;
    this.engine = new RenderingEngine(`${id}-engine`);
    this.engine.enableElement({
      viewportId: `${id}-viewport`,
      type: Enums.ViewportType.STACK,
      element,
      defaultOptions: { background: [0, 0, 0] },
    });
    this.viewport = this.engine.getViewport<Types.IStackViewport>(`${id}-viewport`);
    this.toolGroupId = `${id}-tools`;
    this.setUpTools(options.extraTools ?? []);
  }

  private setUpTools(extraTools: readonly ExtraTool[]): void {
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error(`Tool group ${this.toolGroupId} exists already`);
    for (const toolName of [...Object.values(PRIMARY_TOOLS), StackScrollTool.toolName]) {
      group.addTool(toolName);
    }
    group.addViewport(this.viewport.id, this.engine.id);
    // Left drag: the chosen tool (window/level first); middle: pan; right: zoom; wheel: scroll.
    group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
    // Measurements stay visible and editable whichever tool is on the left button.
    for (const tool of [LengthTool, AngleTool, EllipticalROITool]) group.setToolPassive(tool.toolName);
    for (const tool of extraTools) {
      if (tool.of) group.addToolInstance(tool.name, tool.of, tool.configuration ?? {});
      else group.addTool(tool.name, tool.configuration ?? {});
      if (tool.passive) group.setToolPassive(tool.name);
    }
  }

  selectTool(tool: PrimaryTool): void {
    this.useTool(PRIMARY_TOOLS[tool]);
  }

  /** Put any tool of the group (by its name) on the left mouse button. */
  useTool(toolName: string): void {
    const group = ToolGroupManager.getToolGroup(this.toolGroupId);
    if (!group || toolName === this.primaryName) return;
    // Passive keeps the tool's other buttons (pan on the middle one) and its annotations editable.
    group.setToolPassive(this.primaryName);
    group.setToolActive(toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    this.primaryName = toolName;
  }

  /** Show a stack and keep decoding the rest of it in the background, nearest images first. */
  async showStack(imageIds: string[], index = 0): Promise<void> {
    toolsUtilities.stackPrefetch.disable(this.viewport.element);
    this.invertedByReader = false;
    this.defaultWindow = null;
    await this.viewport.setStack(imageIds, index);
    this.viewport.render();
    toolsUtilities.stackPrefetch.enable(this.viewport.element);
  }

  /**
   * The image's own window where its header stores none (Cornerstone would use the pixels' full
   * min..max); reset comes back to it.
   */
  setDefaultWindow(window: WindowLevel | null): void {
    this.defaultWindow = window;
    if (window) this.setWindow(window);
  }

  setWindow(window: WindowLevel): void {
    this.viewport.setProperties({ voiRange: voiRangeOf(window) });
    this.viewport.render();
  }

  get window(): WindowLevel | undefined {
    const range = this.viewport.getProperties().voiRange;
    return range ? windowLevelOf(range) : undefined;
  }

  get inverted(): boolean {
    return this.invertedByReader;
  }

  toggleInvert(): void {
    this.invertedByReader = !this.invertedByReader;
    this.viewport.setProperties({ invert: !this.viewport.getProperties().invert });
    this.viewport.render();
  }

  /** Back to the image as first shown: camera, window and inversion. */
  reset(): void {
    this.invertedByReader = false;
    this.viewport.resetCamera();
    this.viewport.resetProperties();
    if (this.defaultWindow) this.viewport.setProperties({ voiRange: voiRangeOf(this.defaultWindow) });
    this.viewport.render();
  }

  /** Step through the stack, stopping at either end. */
  step(delta: 1 | -1): void {
    const last = this.viewport.getImageIds().length - 1;
    const target = Math.min(last, Math.max(0, this.viewport.getCurrentImageIdIndex() + delta));
    if (target !== this.viewport.getCurrentImageIdIndex()) void this.viewport.setImageIdIndex(target);
  }

  resize(): void {
    this.engine.resize(true, true);
  }

  destroy(): void {
    toolsUtilities.stackPrefetch.disable(this.viewport.element);
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    this.engine.destroy();
  }
}
