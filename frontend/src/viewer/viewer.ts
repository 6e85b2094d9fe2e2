/**
 * The study viewer: series thumbnails, one Cornerstone stack viewport with the AI heatmap and
 * text overlays, the toolbar, and the reader's measurements. The page around it (the reading
 * page) owns the keyboard and hands viewer actions to `perform`.
 */

import "./viewer.css";

import { Enums } from "@cornerstonejs/core";

import type { Finding } from "../api/reading";
import type { ShortcutMap } from "../app/shortcuts";
import { h } from "../pages/dom";
import type { ViewerAction } from "./actions";
import { cornerstoneReady } from "./cornerstone";
import { HeatmapOverlay } from "./heatmapOverlay";
import { hasStoredWindow, imagePixelRange, isMonochrome1, storedVoi } from "./imageWindow";
import { type FrameRef, frameKey } from "./imageIds";
import { InfoOverlay } from "./infoOverlay";
import { MeasurementList } from "./measurementList";
import { type MeasurementEntry, MeasurementSync } from "./measurementSync";
import { type ViewerProbe, createProbe, removeProbe } from "./probe";
import { SegmentationOverlay } from "./segmentationOverlay";
import { SeriesList } from "./seriesList";
import { StackDisplay } from "./stackDisplay";
import { StudyFrames } from "./studyFrames";
import { type SeriesStack, loadStudySegmentations, loadStudyStacks } from "./studyStacks";
import { Toolbar, presetSlotOf, toolOf } from "./toolbar";
import { type WindowPreset, ownWindow, sameWindow, windowPresets } from "./windowing";

export interface ViewerOptions {
  studyInstanceUid: string;
  /** The AI's per-image results, for the score overlay and the heatmap. */
  findings: readonly Finding[];
  shortcuts: ShortcutMap;
  /**
   * Whether the user's measurements are loaded from and saved to the server (readers'); when
   * not, what they draw stays on screen until they leave.
   */
  saveMeasurements: boolean;
  /** A problem to show the reader, in words. */
  onError(message: string): void;
}

export interface Viewer {
  perform(action: ViewerAction): void;
  /** Resolves when the first image is on screen. */
  readonly firstImage: Promise<number>;
  destroy(): void;
}

export function mountViewer(root: HTMLElement, options: ViewerOptions): Viewer {
  return new StudyViewer(root, options);
}

class StudyViewer implements Viewer {
  readonly firstImage: Promise<number>;
  private resolveFirstImage!: (at: number) => void;
  private readonly probe: ViewerProbe;
  private readonly findings: Map<string, Finding>;
  private readonly toolbar: Toolbar;
  private readonly info = new InfoOverlay();
  private readonly stage: HTMLElement;
  /** Where the series thumbnails go once the study's series are known. */
  private readonly seriesSlot = h("div");
  private readonly viewportElement: HTMLDivElement;
  private readonly status: HTMLElement;
  private readonly measurementList: MeasurementList;
  private readonly resizeObserver: ResizeObserver;
  private display: StackDisplay | null = null;
  private heatmap: HeatmapOverlay | null = null;
  private measurements: MeasurementSync | null = null;
  private seriesList: SeriesList | null = null;
  private stacks: SeriesStack[] = [];
  private frames = new StudyFrames([]);
  private seriesIndex = 0;
  /** The window presets of the series shown, as its modality and pixels give them. */
  private presets: WindowPreset[] = [];
  /** The study's segmentations, each over the series it segments; loaded after the first image. */
  private segmentations: SegmentationOverlay[] = [];
  private segmentationsNote: string | undefined = "loading…";
  private segmentationVisible = false;
  private destroyed = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: ViewerOptions,
  ) {
    this.firstImage = new Promise((resolve) => (this.resolveFirstImage = resolve));
    this.probe = createProbe(options.studyInstanceUid, this.firstImage);
    this.findings = new Map(
      options.findings.map((finding) => [
        frameKey({ sopInstanceUid: finding.sop_instance_uid, frameNumber: finding.frame_number }),
        finding,
      ]),
    );
    this.toolbar = new Toolbar(options.shortcuts, {
      perform: (action) => this.perform(action),
      setHeatmapVisible: (visible) => this.heatmap?.setVisible(visible),
      setHeatmapOpacity: (opacity) => this.heatmap?.setOpacity(opacity),
      setSegmentationVisible: (visible) => {
        this.segmentationVisible = visible;
        this.showSegmentations();
      },
    });
    this.toolbar.showTool("windowLevel");
    this.measurementList = new MeasurementList({
      describe: (frame) => this.describeFrame(frame),
      show: (entry) => void this.showMeasurement(entry),
      remove: (entry) => this.measurements?.remove(entry.annotationUid),
    });
    this.viewportElement = h("div", { class: "viewer-viewport" });
    // The right button zooms; the browser's menu would cover the image.
    this.viewportElement.addEventListener("contextmenu", (event) => event.preventDefault());
    this.status = h("p", { class: "viewer-status", role: "status" }, "Loading images…");
    this.stage = h("div", { class: "viewer-stage" }, this.viewportElement, this.info.element, this.status);
    root.replaceChildren(
      h(
        "div",
        { class: "viewer" },
        this.toolbar.element,
        h("div", { class: "viewer-main" }, this.seriesSlot, this.stage, this.measurementList.element),
      ),
    );
    this.resizeObserver = new ResizeObserver(() => this.display?.resize());
    void this.start();
  }

  private async start(): Promise<void> {
    try {
      await cornerstoneReady();
      this.stacks = await loadStudyStacks(this.options.studyInstanceUid);
    } catch {
      this.fail("The study's images could not be listed by the archive.");
      return;
    }
    if (this.destroyed) return;
    if (this.stacks.length === 0) {
      this.status.textContent = "This study has no images to show.";
      return;
    }
    this.frames = new StudyFrames(this.stacks);
    this.seriesList = new SeriesList(this.options.studyInstanceUid, this.stacks, (index) => {
      void this.showSeries(index);
    });
    this.seriesSlot.replaceWith(this.seriesList.element);

    const display = new StackDisplay(this.viewportElement);
    this.display = display;
    this.heatmap = new HeatmapOverlay(display.viewport, (state) => {
      this.toolbar.showHeatmap(state);
      this.probe.heatmapVisible = state.visible && state.available;
    });
    this.viewportElement.after(this.heatmap.canvas);
    this.viewportElement.addEventListener(Enums.Events.STACK_NEW_IMAGE, this.onNewImage);
    this.viewportElement.addEventListener(Enums.Events.IMAGE_RENDERED, this.onRendered);
    this.resizeObserver.observe(this.viewportElement);

    const measurements = new MeasurementSync(
      this.options.studyInstanceUid,
      this.frames,
      {
        onChange: (entries) => this.measurementList.render(entries),
        onError: (message) => this.options.onError(message),
      },
      { persist: this.options.saveMeasurements },
    );
    if (!this.options.saveMeasurements) this.measurementList.showNotSaved();
    this.measurements = measurements;
    measurements.start();
    const loaded = measurements.load().then(
      // Those on the series already shown go back now; the others when their series is shown.
      () => {
        if (!this.destroyed) measurements.restoreInto(display.viewport);
      },
      () => this.options.onError("Your saved measurements on this study could not be loaded."),
    );
    await this.showSeries(0);
    await Promise.all([loaded, this.loadSegmentations()]);
  }

  /** The study's SEGs as labelmaps over the series they segment; a failure only says so. */
  private async loadSegmentations(): Promise<void> {
    const uid = this.options.studyInstanceUid;
    try {
      const found = await loadStudySegmentations(uid);
      const overlays = await Promise.all(found.map((seg) => SegmentationOverlay.load(uid, seg, this.stacks)));
      this.segmentations = overlays.filter((overlay): overlay is SegmentationOverlay => overlay !== null);
      this.segmentationsNote = undefined;
    } catch {
      this.segmentationsNote = "could not be loaded";
    }
    if (this.destroyed) {
      for (const overlay of this.segmentations) overlay.destroy();
      return;
    }
    this.showSegmentations();
  }

  /** Put the shown series' segmentations on (or off) the viewport, and say so in the toolbar. */
  private showSegmentations(): void {
    const display = this.display;
    const series = this.stacks[this.seriesIndex]?.series.seriesInstanceUid;
    if (!display) return;
    const here = this.segmentations.filter((overlay) => overlay.seriesInstanceUid === series);
    for (const overlay of this.segmentations) {
      if (here.includes(overlay)) overlay.setVisible(display.viewport, this.segmentationVisible);
      else overlay.detach();
    }
    this.toolbar.showSegmentation({
      labels: here.flatMap((overlay) => overlay.labels),
      visible: this.segmentationVisible,
      inStudy: this.segmentations.length > 0 || this.segmentationsNote === "could not be loaded",
      ...(this.segmentationsNote === undefined ? {} : { note: this.segmentationsNote }),
    });
  }

  perform(action: ViewerAction): void {
    const display = this.display;
    if (!display) return;
    const tool = toolOf(action);
    const presetSlot = presetSlotOf(action);
    if (tool) {
      display.selectTool(tool);
      this.toolbar.showTool(tool);
    } else if (presetSlot !== undefined) {
      const preset = this.presets[presetSlot];
      if (preset) display.setWindow(preset.window);
    } else if (action === "viewer.invert") {
      display.toggleInvert();
    } else if (action === "viewer.reset") {
      display.reset();
    } else if (action === "viewer.nextImage" || action === "viewer.previousImage") {
      display.step(action === "viewer.nextImage" ? 1 : -1);
    } else if (action === "viewer.nextSeries" || action === "viewer.previousSeries") {
      const next = this.seriesIndex + (action === "viewer.nextSeries" ? 1 : -1);
      if (next >= 0 && next < this.stacks.length) void this.showSeries(next);
    } else if (action === "viewer.heatmap") {
      this.heatmap?.toggle();
    } else if (action === "viewer.heatmapMore" || action === "viewer.heatmapLess") {
      this.heatmap?.stepOpacity(action === "viewer.heatmapMore" ? 1 : -1);
    }
  }

  private async showSeries(index: number, imageIndex = 0): Promise<void> {
    const stack = this.stacks[index];
    const display = this.display;
    if (!stack || !display) return;
    this.seriesIndex = index;
    this.seriesList?.showActive(index);
    this.probe.seriesInstanceUid = stack.series.seriesInstanceUid;
    try {
      await display.showStack(
        stack.frames.map((frame) => frame.imageId),
        imageIndex,
      );
    } catch {
      if (!this.destroyed) this.fail("The images of this series could not be loaded from the archive.");
      return;
    }
    if (this.destroyed) return;
    this.setUpWindowing(stack, imageIndex);
    this.showSegmentations();
    this.measurements?.restoreInto(display.viewport);
  }

  /**
   * The series' own window (set here when its header has none) and its modality's presets,
   * from the image first shown.
   */
  private setUpWindowing(stack: SeriesStack, imageIndex: number): void {
    const display = this.display;
    const image = display?.viewport.getCornerstoneImage();
    const metadata = stack.frames[imageIndex]?.metadata;
    if (!display || !image || !metadata) return;
    const range = imagePixelRange(image);
    const stored = storedVoi(metadata);
    const own = ownWindow(stored, range);
    display.setDefaultWindow(hasStoredWindow(stored) ? null : own);
    this.presets = windowPresets(stack.series.modality, own, range, { monochrome1: isMonochrome1(metadata) });
    this.toolbar.showPresets(this.presets);
  }

  private async showMeasurement(entry: MeasurementEntry): Promise<void> {
    const where = this.frames.locate(entry.frame);
    if (!where || !this.display) return;
    if (where.seriesIndex !== this.seriesIndex) await this.showSeries(where.seriesIndex, where.imageIndex);
    else await this.display.viewport.setImageIdIndex(where.imageIndex);
  }

  private describeFrame(frame: FrameRef): string {
    const where = this.frames.locate(frame);
    if (!where) return "";
    return `series ${where.seriesIndex + 1}, image ${where.imageIndex + 1}`;
  }

  private currentFinding(): Finding | undefined {
    const imageId = this.display?.viewport.getCurrentImageId();
    const frame = imageId ? this.frames.frameOf(imageId) : undefined;
    return frame ? this.findings.get(frameKey(frame)) : undefined;
  }

  private readonly onNewImage = (): void => {
    void this.heatmap?.showFinding(this.currentFinding());
  };

  private readonly onRendered = (): void => {
    const display = this.display;
    const viewport = display?.viewport;
    const imageId = viewport?.getCurrentImageId();
    if (!display || !viewport || !imageId || !viewport.getCornerstoneImage()) return;
    const index = viewport.getCurrentImageIdIndex();
    const count = viewport.getImageIds().length;
    this.info.update({
      series: this.stacks[this.seriesIndex]?.series.description ?? "",
      index,
      count,
      window: display.window,
      zoom: viewport.getZoom(),
      finding: this.currentFinding(),
    });
    this.toolbar.showInverted(display.inverted);
    this.toolbar.showPreset(this.presets.find((preset) => sameWindow(preset.window, display.window))?.id ?? null);
    this.heatmap?.draw();
    Object.assign(this.probe, { imageIndex: index, imageCount: count, imageId });
    if (this.probe.firstImageRenderedAt === null) this.firstImageShown();
  };

  private firstImageShown(): void {
    const at = performance.now();
    this.probe.firstImageRenderedAt = at;
    this.status.hidden = true;
    this.root.dataset["ready"] = "true";
    this.resolveFirstImage(at);
  }

  private fail(message: string): void {
    this.status.hidden = false;
    this.status.textContent = message;
    this.options.onError(message);
  }

  destroy(): void {
    this.destroyed = true;
    this.resizeObserver.disconnect();
    this.measurements?.stop();
    for (const overlay of this.segmentations) overlay.destroy();
    this.viewportElement.removeEventListener(Enums.Events.STACK_NEW_IMAGE, this.onNewImage);
    this.viewportElement.removeEventListener(Enums.Events.IMAGE_RENDERED, this.onRendered);
    this.display?.destroy();
    removeProbe(this.probe);
    delete this.root.dataset["ready"];
    this.root.replaceChildren();
  }
}
