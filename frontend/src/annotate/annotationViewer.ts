/**
 * The workspace's image: one de-identified frame in the reading viewer's stack display (same
 * loader, windowing, W/L, pan and zoom), with the annotation tools on its tool group: boxes
 * (RectangleROI), brush and eraser on one labelmap whose segments are the schema's mask classes,
 * and freehand contours, which are filled into that labelmap as they close (see contour.ts for
 * why). Undo and redo are Cornerstone's own history (DefaultHistoryMemo), which the tools already
 * record into; the page records its class choices there too, so one ctrl+z undoes the last thing
 * done, whatever it was.
 */

import {
  type Types,
  eventTarget,
  imageLoader,
  utilities as coreUtilities,
} from "@cornerstonejs/core";
import { utilities as metadataUtilities } from "@cornerstonejs/metadata";
import {
  BrushTool,
  Enums as ToolsEnums,
  PlanarFreehandROITool,
  RectangleROITool,
  annotation as annotationState,
  type Types as ToolsTypes,
  segmentation,
  utilities as toolsUtilities,
} from "@cornerstonejs/tools";

import type { AnnotationCase, BoxValue, LabelSchema, MaskValue, RegionClass } from "../api/annotate";
import type { DicomJsonDataset } from "../api/dicomJson";
import { getJson } from "../api/http";
import { h } from "../pages/dom";
import { cornerstoneReady } from "../viewer/cornerstone";
import { withoutImpossibleSpacing } from "../viewer/imageIds";
import { hasStoredWindow, imagePixelRange, storedVoi } from "../viewer/imageWindow";
import { type PrimaryTool, StackDisplay } from "../viewer/stackDisplay";
import { ownWindow } from "../viewer/windowing";
import { type Box, boxFromCorners, cornersOfBox } from "./boxes";
import { pixelsInside } from "./contour";
import { decodeRleInto, encodeRle } from "./rle";

const { DefaultHistoryMemo } = coreUtilities.HistoryMemo;
type Memo = Parameters<typeof DefaultHistoryMemo.push>[0];

const LABELMAP = ToolsEnums.SegmentationRepresentations.Labelmap;
const ToolEvents = ToolsEnums.Events;
const ERASER = "AnnotateEraser";
const BRUSH = "AnnotateBrush";
/** Brush radius in millimetres (pixels when the image has no spacing): a fingertip on a chest film. */
const BRUSH_SIZE = 8;

export type DrawingTool = "box" | "brush" | "eraser" | "freehand";
export type AnyTool = DrawingTool | PrimaryTool;

export interface AnnotationViewerOptions {
  caseData: AnnotationCase;
  schema: LabelSchema;
  /** A box, mask or contour was drawn, changed or removed (undo and redo included). */
  onChange(): void;
  onError(message: string): void;
}

let nextId = 0;

function hexColour(hex: string): Types.Color {
  const value = Number.parseInt(hex.replace("#", ""), 16);
  return Number.isFinite(value) ? [(value >> 16) & 255, (value >> 8) & 255, value & 255, 200] : [255, 140, 0, 200];
}

/** The wadors image id of the case's frame: the loader fetches it from the de-identified URL. */
export function caseImageId(caseData: AnnotationCase, origin: string): string {
  const url = caseData.image.frame_url.replace("{frame}", String(caseData.frame));
  return `wadors:${url.startsWith("http") ? url : origin + url}`;
}

export class AnnotationViewer {
  readonly element: HTMLElement;
  readonly ready: Promise<void>;
  private readonly viewportElement = h("div", { class: "viewer-viewport annotate-viewport" });
  private readonly status = h("p", { class: "viewer-status", role: "status" }, "Loading the image…");
  private readonly segmentationId = `annotate-${++nextId}`;
  private readonly resizeObserver = new ResizeObserver(() => this.display?.resize());
  private display: StackDisplay | null = null;
  private labelmap: Types.IImage | null = null;
  private imageId = "";
  private destroyed = false;
  /** Each box's class, by annotation UID (undo brings the same annotation back). */
  private readonly boxClasses = new Map<string, string>();
  private boxClass: RegionClass | undefined;
  private maskClass: RegionClass | undefined;
  private tool: AnyTool = "windowLevel";
  /** Set while the viewer itself adds annotations (restoring), so that is not an edit. */
  private quiet = false;

  constructor(private readonly options: AnnotationViewerOptions) {
    this.boxClass = options.schema.box_classes[0];
    this.maskClass = options.schema.mask_classes[0];
    this.viewportElement.addEventListener("contextmenu", (event) => event.preventDefault());
    this.element = h("div", { class: "viewer-stage annotate-stage" }, this.viewportElement, this.status);
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    const { caseData } = this.options;
    let metadata: DicomJsonDataset;
    try {
      await cornerstoneReady();
      const answer = await getJson<DicomJsonDataset | DicomJsonDataset[]>(caseData.image.metadata_url, {
        accept: "application/dicom+json",
      });
      const first = Array.isArray(answer) ? answer[0] : answer;
      if (!first) throw new Error("no metadata");
      metadata = withoutImpossibleSpacing(first);
    } catch {
      this.fail("The image's description could not be loaded.");
      return;
    }
    if (this.destroyed) return;
    this.imageId = caseImageId(caseData, window.location.origin);
    void metadataUtilities.addDicomWebInstance(this.imageId, metadata);
    const display = new StackDisplay(this.viewportElement as HTMLDivElement, {
      extraTools: [
        { name: RectangleROITool.toolName, configuration: { getTextLines: boxTextLines, calculateStats: false }, passive: true },
        { name: PlanarFreehandROITool.toolName, configuration: { calculateStats: false, allowOpenContours: false } },
        { name: BRUSH, of: BrushTool.toolName, configuration: { activeStrategy: "FILL_INSIDE_CIRCLE" } },
        { name: ERASER, of: BrushTool.toolName, configuration: { activeStrategy: "ERASE_INSIDE_CIRCLE" } },
      ],
    });
    this.display = display;
    this.resizeObserver.observe(this.viewportElement);
    try {
      await display.showStack([this.imageId]);
    } catch {
      if (!this.destroyed) this.fail("The image could not be loaded.");
      return;
    }
    if (this.destroyed) return;
    this.setUpWindowing(metadata);
    this.setUpLabelmap();
    for (const name of [BRUSH, ERASER]) toolsUtilities.segmentation.setBrushSizeForToolGroup(display.toolGroupId, BRUSH_SIZE, name);
    // A fresh history per case: ctrl+z never reaches into the case before.
    DefaultHistoryMemo.size = DefaultHistoryMemo.size;
    this.listen(true);
    this.status.hidden = true;
  }

  private setUpWindowing(metadata: DicomJsonDataset): void {
    const display = this.display;
    const image = display?.viewport.getCornerstoneImage();
    if (!display || !image) return;
    const stored = storedVoi(metadata);
    display.setDefaultWindow(hasStoredWindow(stored) ? null : ownWindow(stored, imagePixelRange(image)));
  }

  /** One labelmap over the frame; segment n is the schema's n-th mask class, in its colour. */
  private setUpLabelmap(): void {
    const viewport = this.viewport;
    const [labelmap] = imageLoader.createAndCacheDerivedLabelmapImages([this.imageId]);
    if (!viewport || !labelmap) return;
    this.labelmap = labelmap;
    const segments = Object.fromEntries(
      this.options.schema.mask_classes.map((mask, index) => [
        index + 1,
        { segmentIndex: index + 1, label: mask.display_name, locked: false, active: index === 0, cachedStats: {} },
      ]),
    );
    segmentation.addSegmentations([
      {
        segmentationId: this.segmentationId,
        representation: { type: LABELMAP, data: { imageIds: [labelmap.imageId] } },
        config: { label: "Masks", segments },
      },
    ]);
    segmentation.addLabelmapRepresentationToViewport(viewport.id, [{ segmentationId: this.segmentationId }]);
    this.options.schema.mask_classes.forEach((mask, index) =>
      segmentation.config.color.setSegmentIndexColor(viewport.id, this.segmentationId, index + 1, hexColour(mask.colour)),
    );
    segmentation.activeSegmentation.setActiveSegmentation(viewport.id, this.segmentationId);
    segmentation.segmentIndex.setActiveSegmentIndex(this.segmentationId, 1);
  }

  private get viewport(): Types.IStackViewport | undefined {
    return this.display?.viewport;
  }

  private labelmapData(): Types.PixelDataTypedArray | null {
    const labelmap = this.labelmap;
    if (!labelmap) return null;
    return (labelmap.voxelManager?.getScalarData() as Types.PixelDataTypedArray | undefined) ?? labelmap.getPixelData();
  }

  /** Put a tool on the left button; box and mask tools take the class to draw with. */
  useTool(tool: AnyTool, regionClass?: string): void {
    const display = this.display;
    if (!display) return;
    this.tool = tool;
    if (tool === "box") {
      this.boxClass = this.options.schema.box_classes.find((c) => c.key === regionClass) ?? this.boxClass;
      display.useTool(RectangleROITool.toolName);
    } else if (tool === "brush" || tool === "freehand") {
      const index = this.options.schema.mask_classes.findIndex((c) => c.key === regionClass);
      if (index >= 0) this.maskClass = this.options.schema.mask_classes[index];
      const segmentIndex = Math.max(1, this.options.schema.mask_classes.indexOf(this.maskClass as RegionClass) + 1);
      segmentation.segmentIndex.setActiveSegmentIndex(this.segmentationId, segmentIndex);
      display.useTool(tool === "brush" ? BRUSH : PlanarFreehandROITool.toolName);
    } else if (tool === "eraser") {
      display.useTool(ERASER);
    } else {
      display.selectTool(tool);
    }
  }

  get currentTool(): AnyTool {
    return this.tool;
  }

  get currentBoxClass(): string | undefined {
    return this.boxClass?.key;
  }

  get currentMaskClass(): string | undefined {
    return this.maskClass?.key;
  }

  perform(action: "reset" | "invert"): void {
    if (action === "reset") this.display?.reset();
    else this.display?.toggleInvert();
  }

  /** Draw the case's saved boxes and masks (or the model's suggested box) without it counting as an edit. */
  restore(boxes: readonly BoxValue[], masks: readonly MaskValue[]): void {
    const viewport = this.viewport;
    const data = this.labelmapData();
    if (!viewport) return;
    this.quiet = true;
    try {
      for (const box of boxes) this.addBox(box, box.class);
      if (data) {
        for (const mask of masks) {
          const index = this.options.schema.mask_classes.findIndex((c) => c.key === mask.class);
          if (index < 0) continue;
          try {
            decodeRleInto(mask.rle, data, index + 1);
          } catch (error) {
            this.options.onError(`A saved mask could not be shown: ${(error as Error).message}`);
          }
        }
        segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId);
      }
    } finally {
      this.quiet = false;
    }
    viewport.render();
  }

  private addBox(box: Box, classKey: string): void {
    const viewport = this.viewport;
    const imageData = viewport?.getImageData()?.imageData;
    if (!viewport || !imageData) return;
    const uid = coreUtilities.uuidv4();
    const points = cornersOfBox(box).map(
      ([column, row]) => coreUtilities.transformIndexToWorld(imageData, [column, row, 0]) as Types.Point3,
    );
    this.boxClasses.set(uid, classKey);
    RectangleROITool.hydrate(viewport.id, points, { annotationUID: uid });
    const added = annotationState.state.getAnnotation(uid);
    if (added) added.data.label = this.boxCaption(classKey);
  }

  private boxCaption(classKey: string): string {
    return this.options.schema.box_classes.find((c) => c.key === classKey)?.display_name ?? classKey;
  }

  private myAnnotations(toolName: string): ToolsTypes.Annotations | [] {
    const element = this.viewport?.element;
    if (!element) return [];
    return (annotationState.state.getAnnotations(toolName, element) ?? []).filter(
      (a) => a.metadata?.referencedImageId === this.imageId,
    ) as ToolsTypes.Annotations;
  }

  /** The boxes on the image now, in pixels, each with its class. */
  boxes(): BoxValue[] {
    const imageData = this.viewport?.getImageData()?.imageData;
    if (!imageData) return [];
    const size = { rows: this.options.caseData.rows, columns: this.options.caseData.columns };
    const found: BoxValue[] = [];
    for (const annotation of this.myAnnotations(RectangleROITool.toolName)) {
      const corners = (annotation.data.handles?.points ?? []).map((point: Types.Point3) => {
        const [column, row] = coreUtilities.transformWorldToIndexContinuous(imageData, point as Types.Point3);
        return [column, row] as [number, number];
      });
      const box = boxFromCorners(corners, size);
      const classKey = this.boxClasses.get(annotation.annotationUID ?? "") ?? this.boxClass?.key;
      if (box && classKey) found.push({ class: classKey, ...box });
    }
    return found;
  }

  /** The masks on the image now: one per mask class that has any pixel, as run lengths. */
  masks(): MaskValue[] {
    const data = this.labelmapData();
    if (!data) return [];
    const { rows, columns } = this.options.caseData;
    const found: MaskValue[] = [];
    this.options.schema.mask_classes.forEach((mask, index) => {
      const rle = encodeRle(data, index + 1);
      if (rle) found.push({ class: mask.key, rows, columns, rle });
    });
    return found;
  }

  /** Record something the page did (a class chosen) in the same history as the tools. */
  remember(memo: Memo): void {
    DefaultHistoryMemo.push(memo);
  }

  undo(): void {
    DefaultHistoryMemo.undo();
    this.afterHistory();
  }

  redo(): void {
    DefaultHistoryMemo.redo();
    this.afterHistory();
  }

  private afterHistory(): void {
    if (this.labelmap) segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId);
    this.viewport?.render();
    this.options.onChange();
  }

  private listen(on: boolean): void {
    const method = on ? "addEventListener" : "removeEventListener";
    for (const event of [ToolEvents.ANNOTATION_MODIFIED, ToolEvents.ANNOTATION_REMOVED]) {
      eventTarget[method](event, this.onAnnotationChanged as EventListener);
    }
    eventTarget[method](ToolEvents.ANNOTATION_COMPLETED, this.onAnnotationCompleted as EventListener);
    eventTarget[method](ToolEvents.SEGMENTATION_DATA_MODIFIED, this.onSegmentationChanged as EventListener);
  }

  private isMine(annotation: ToolsTypes.Annotation | undefined): annotation is ToolsTypes.Annotation {
    return annotation?.metadata?.referencedImageId === this.imageId;
  }

  private readonly onAnnotationChanged = (event: CustomEvent<{ annotation?: ToolsTypes.Annotation }>): void => {
    if (!this.quiet && this.isMine(event.detail.annotation)) this.options.onChange();
  };

  private readonly onAnnotationCompleted = (event: CustomEvent<{ annotation?: ToolsTypes.Annotation }>): void => {
    const annotation = event.detail.annotation;
    if (!this.isMine(annotation)) return;
    const toolName = annotation.metadata?.toolName;
    if (toolName === RectangleROITool.toolName) {
      const classKey = this.boxClasses.get(annotation.annotationUID ?? "") ?? this.boxClass?.key;
      if (classKey) {
        this.boxClasses.set(annotation.annotationUID ?? "", classKey);
        annotation.data.label = this.boxCaption(classKey);
      }
      this.options.onChange();
    } else if (toolName === PlanarFreehandROITool.toolName) {
      this.fillContour(annotation);
    }
  };

  private readonly onSegmentationChanged = (event: CustomEvent<{ segmentationId?: string }>): void => {
    if (!this.quiet && event.detail.segmentationId === this.segmentationId) this.options.onChange();
  };

  /**
   * A closed contour becomes mask pixels of the current mask class; the contour itself goes, and
   * its place in the history is taken by the fill, so undo takes the filled pixels back.
   */
  private fillContour(annotation: ToolsTypes.Annotation): void {
    const data = this.labelmapData();
    const imageData = this.viewport?.getImageData()?.imageData;
    const polyline = (annotation.data as { contour?: { polyline?: Types.Point3[] } }).contour?.polyline ?? [];
    const uid = annotation.annotationUID ?? "";
    if (data && imageData) {
      const polygon = polyline.map((point) => {
        const [column, row] = coreUtilities.transformWorldToIndexContinuous(imageData, point);
        return [column, row] as [number, number];
      });
      const { rows, columns } = this.options.caseData;
      const value = Math.max(1, this.options.schema.mask_classes.indexOf(this.maskClass as RegionClass) + 1);
      const before = Array.from(data);
      for (const pixel of pixelsInside(polygon, rows, columns)) data[pixel] = value;
      const after = Array.from(data);
      const fill: Memo = {
        restoreMemo: (undo?: boolean) => {
          const target = this.labelmapData();
          if (!target) return;
          const source = undo ? before : after;
          for (let i = 0; i < source.length; i++) target[i] = source[i] ?? 0;
        },
      };
      if (!DefaultHistoryMemo.replaceCurrentMemo(fill, (memo) => memo.id === uid)) DefaultHistoryMemo.push(fill);
    }
    // After the tool has finished with the annotation it is drawing.
    window.setTimeout(() => {
      annotationState.state.removeAnnotation(uid);
      this.viewport?.render();
    });
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId);
  }

  private fail(message: string): void {
    this.status.hidden = false;
    this.status.textContent = message;
    this.options.onError(message);
  }

  destroy(): void {
    this.destroyed = true;
    this.listen(false);
    this.resizeObserver.disconnect();
    const element = this.viewport?.element;
    if (element) {
      for (const tool of [RectangleROITool.toolName, PlanarFreehandROITool.toolName]) {
        for (const annotation of annotationState.state.getAnnotations(tool, element) ?? []) {
          if (annotation.annotationUID) annotationState.state.removeAnnotation(annotation.annotationUID);
        }
      }
    }
    if (this.labelmap) {
      try {
        segmentation.removeSegmentation(this.segmentationId);
      } catch {
        // Already gone with its viewport.
      }
    }
    this.display?.destroy();
    DefaultHistoryMemo.size = DefaultHistoryMemo.size;
  }
}

/** A box's caption is its class, not the area and mean RectangleROI shows by default. */
function boxTextLines(data: { label?: string }): string[] {
  return data.label ? [data.label] : [];
}

