/**
 * Keeps the reader's measurements on the server in step with Cornerstone's annotation state:
 * drawn or edited annotations are saved (PUT, once the edit settles), removed ones deleted, and
 * on opening a study the saved ones are put back on their images.
 */

import { type Types, eventTarget } from "@cornerstonejs/core";
import {
  AngleTool,
  EllipticalROITool,
  Enums as ToolsEnums,
  LengthTool,
  annotation as annotationApi,
} from "@cornerstonejs/tools";
import type { Types as ToolsTypes } from "@cornerstonejs/tools";

import {
  type Measurement,
  type MeasurementInput,
  type MeasurementTool,
  deleteMeasurement,
  listMeasurements,
  saveMeasurement,
} from "../api/measurements";
import type { FrameRef } from "./imageIds";
import {
  type CachedStatsByTarget,
  isMeasurementTool,
  measurementSummary,
  stableJson,
  storedMeasurementData,
} from "./measurementSummary";

type Annotation = ToolsTypes.Annotation;
type AnnotationEvent = CustomEvent<{ annotation: Annotation }>;

/** The tools whose annotations can be drawn here, hence restored here. */
const TOOL_CLASSES = {
  Length: LengthTool,
  Angle: AngleTool,
  EllipticalROI: EllipticalROITool,
} as const satisfies Partial<Record<MeasurementTool, { createAnnotation(...data: unknown[]): Annotation }>>;

/** Longer than the tools' 100 ms statistics throttle, short enough to feel immediate. */
const SAVE_DELAY_MS = 400;

export interface MeasurementEntry {
  annotationUid: string;
  tool: MeasurementTool;
  frame: FrameRef;
  summary: string;
}

/** How image ids and the frames they show map onto each other in the open study. */
export interface FrameLookup {
  frameOf(imageId: string): FrameRef | undefined;
  imageIdOf(frame: FrameRef): string | undefined;
}

export interface MeasurementSyncListener {
  onChange(entries: MeasurementEntry[]): void;
  onError(message: string): void;
}

export class MeasurementSync {
  private readonly entries = new Map<string, MeasurementEntry>();
  /** Saved measurements not yet put back into the annotation state (their series not shown). */
  private readonly toRestore = new Map<string, Measurement>();
  /** The JSON last sent (or loaded) per annotation: an unchanged annotation is not sent again. */
  private readonly lastSaved = new Map<string, string>();
  private readonly timers = new Map<string, number>();
  /** One request at a time per annotation, so a DELETE never overtakes its PUT. */
  private readonly queues = new Map<string, Promise<void>>();
  private listening = false;

  constructor(
    private readonly studyInstanceUid: string,
    private readonly frames: FrameLookup,
    private readonly listener: MeasurementSyncListener,
    /** `persist: false` keeps measurements on screen only: nothing is loaded, saved or deleted. */
    private readonly options: { persist: boolean } = { persist: true },
  ) {}

  /** Fetch the reader's saved measurements; they appear in the list at once. */
  async load(): Promise<void> {
    if (!this.options.persist) return;
    for (const measurement of await listMeasurements(this.studyInstanceUid)) {
      const frame = {
        seriesInstanceUid: measurement.series_instance_uid,
        sopInstanceUid: measurement.sop_instance_uid,
        frameNumber: measurement.frame_number,
      };
      this.toRestore.set(measurement.annotation_uid, measurement);
      this.lastSaved.set(measurement.annotation_uid, stableJson(inputOf(measurement)));
      this.entries.set(measurement.annotation_uid, {
        annotationUid: measurement.annotation_uid,
        tool: measurement.tool,
        frame,
        summary: measurement.summary,
      });
    }
    this.changed();
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    eventTarget.addEventListener(ToolsEnums.Events.ANNOTATION_COMPLETED, this.onCompleted);
    eventTarget.addEventListener(ToolsEnums.Events.ANNOTATION_MODIFIED, this.onModified);
    eventTarget.addEventListener(ToolsEnums.Events.ANNOTATION_REMOVED, this.onRemoved);
  }

  /**
   * Stop syncing and clear the annotation state. Listeners go first: clearing fires "removed"
   * for every annotation, which must not delete them on the server. Edits still waiting for
   * their save delay are sent now.
   */
  stop(): void {
    if (this.listening) {
      eventTarget.removeEventListener(ToolsEnums.Events.ANNOTATION_COMPLETED, this.onCompleted);
      eventTarget.removeEventListener(ToolsEnums.Events.ANNOTATION_MODIFIED, this.onModified);
      eventTarget.removeEventListener(ToolsEnums.Events.ANNOTATION_REMOVED, this.onRemoved);
      this.listening = false;
    }
    for (const [uid, timer] of this.timers) {
      window.clearTimeout(timer);
      const annotation = annotationApi.state.getAnnotation(uid);
      if (annotation) this.save(annotation);
    }
    this.timers.clear();
    annotationApi.state.removeAllAnnotations();
  }

  /** Put back the saved measurements that lie on images of the stack the viewport shows now. */
  restoreInto(viewport: Types.IStackViewport): void {
    const imageIds = viewport.getImageIds();
    for (const [uid, measurement] of this.toRestore) {
      if (!(measurement.tool in TOOL_CLASSES)) continue;
      const imageId = this.frames.imageIdOf({
        seriesInstanceUid: measurement.series_instance_uid,
        sopInstanceUid: measurement.sop_instance_uid,
        frameNumber: measurement.frame_number,
      });
      const sliceIndex = imageId === undefined ? -1 : imageIds.indexOf(imageId);
      if (imageId === undefined || sliceIndex < 0) continue;
      const toolClass = TOOL_CLASSES[measurement.tool as keyof typeof TOOL_CLASSES];
      const annotation = toolClass.createAnnotation({
        annotationUID: uid,
        highlighted: false,
        // The tool computes the statistics again the first time it draws the annotation.
        invalidated: true,
        metadata: { ...viewport.getViewReference({ sliceIndex }), referencedImageId: imageId },
        data: measurement.data,
      });
      annotationApi.state.addAnnotation(annotation, viewport.element);
      this.toRestore.delete(uid);
    }
    viewport.render();
  }

  /** Remove a measurement (from the list): the annotation goes, and the "removed" event deletes it. */
  remove(annotationUid: string): void {
    if (annotationApi.state.getAnnotation(annotationUid)) {
      annotationApi.state.removeAnnotation(annotationUid);
    } else if (this.toRestore.delete(annotationUid)) {
      this.forget(annotationUid);
    }
  }

  private readonly onCompleted = (event: Event): void => {
    const { annotation } = (event as AnnotationEvent).detail;
    if (!annotation.annotationUID || !isMeasurementTool(annotation.metadata?.toolName)) return;
    this.saveSoon(annotation);
  };

  private readonly onModified = (event: Event): void => {
    const { annotation } = (event as AnnotationEvent).detail;
    // Only annotations already completed (or restored) are saved: not one still being drawn.
    if (annotation.annotationUID && this.entries.has(annotation.annotationUID)) this.saveSoon(annotation);
  };

  /**
   * Save once the annotation has been still for a moment: handles move many times a second while
   * dragged, and the tools compute statistics on a trailing timer, without an event, after the
   * last move; saving at once would store (and list) the length of a moment ago.
   */
  private saveSoon(annotation: Annotation): void {
    const uid = annotation.annotationUID;
    if (!uid) return;
    this.list(annotation);
    window.clearTimeout(this.timers.get(uid));
    this.timers.set(
      uid,
      window.setTimeout(() => {
        this.timers.delete(uid);
        this.save(annotation);
      }, SAVE_DELAY_MS),
    );
  }

  private readonly onRemoved = (event: Event): void => {
    const uid = (event as AnnotationEvent).detail.annotation.annotationUID;
    if (uid && this.entries.has(uid)) this.forget(uid);
  };

  /** Show the annotation in the list as it is now; returns what would be stored of it. */
  private list(annotation: Annotation): MeasurementInput | null {
    const uid = annotation.annotationUID;
    const input = this.inputFor(annotation);
    if (!uid || !input) return null;
    this.entries.set(uid, {
      annotationUid: uid,
      tool: input.tool,
      frame: {
        seriesInstanceUid: input.series_instance_uid,
        sopInstanceUid: input.sop_instance_uid,
        frameNumber: input.frame_number,
      },
      summary: input.summary,
    });
    this.changed();
    return input;
  }

  private save(annotation: Annotation): void {
    const uid = annotation.annotationUID;
    const input = this.list(annotation);
    if (!uid || !input) return;
    const json = stableJson(input);
    if (this.lastSaved.get(uid) === json) return;
    this.lastSaved.set(uid, json);
    this.enqueue(uid, () => saveMeasurement(this.studyInstanceUid, uid, input).then(() => undefined));
  }

  private forget(uid: string): void {
    window.clearTimeout(this.timers.get(uid));
    this.timers.delete(uid);
    this.entries.delete(uid);
    this.lastSaved.delete(uid);
    this.changed();
    this.enqueue(uid, () => deleteMeasurement(this.studyInstanceUid, uid));
  }

  private inputFor(annotation: Annotation): MeasurementInput | null {
    const tool = annotation.metadata?.toolName;
    const imageId = annotation.metadata?.referencedImageId;
    const frame = imageId ? this.frames.frameOf(imageId) : undefined;
    if (!isMeasurementTool(tool) || !frame) return null;
    return {
      tool,
      series_instance_uid: frame.seriesInstanceUid,
      sop_instance_uid: frame.sopInstanceUid,
      frame_number: frame.frameNumber,
      data: storedMeasurementData(annotation.data),
      summary: measurementSummary(tool, annotation.data.cachedStats as CachedStatsByTarget | undefined),
    };
  }

  private enqueue(uid: string, request: () => Promise<void>): void {
    if (!this.options.persist) return;
    const previous = this.queues.get(uid) ?? Promise.resolve();
    const next = previous.then(request).catch(() => {
      // The next edit sends the whole measurement again; until then, say it is not saved.
      this.lastSaved.delete(uid);
      this.listener.onError("A measurement could not be saved on the server; it is shown here only.");
    });
    this.queues.set(uid, next);
  }

  private changed(): void {
    this.listener.onChange([...this.entries.values()]);
  }
}

function inputOf(measurement: Measurement): MeasurementInput {
  return {
    tool: measurement.tool,
    series_instance_uid: measurement.series_instance_uid,
    sop_instance_uid: measurement.sop_instance_uid,
    frame_number: measurement.frame_number,
    data: measurement.data,
    summary: measurement.summary,
  };
}
