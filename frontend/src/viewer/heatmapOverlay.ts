/**
 * The AI heatmap of the image on screen, colour-mapped into a 2D canvas laid over the viewport
 * (not drawn by Cornerstone), on the image pixels the model saw. Redrawn whenever the viewport
 * renders, so it follows zoom, pan and image changes.
 */

import type { Types } from "@cornerstonejs/core";

import type { Finding } from "../api/reading";
import {
  type HeatmapRegion,
  type ImageGeometry,
  type Point2,
  affineFromCorners,
  colouriseHeatmap,
  indexToWorld,
  regionIndexCorners,
  stepOpacity,
} from "./heatmapMath";

export interface HeatmapState {
  /** The image on screen has a heatmap to show. */
  available: boolean;
  visible: boolean;
  opacity: number;
}

interface LoadedHeatmap {
  pixels: HTMLCanvasElement;
  region: HeatmapRegion;
}

export class HeatmapOverlay {
  readonly canvas: HTMLCanvasElement;
  private visible = false;
  private opacity = 0.5;
  private current: LoadedHeatmap | null = null;
  /** Bumped per image, so a slow PNG for an image already scrolled past is not drawn. */
  private generation = 0;
  private readonly pngs = new Map<string, Promise<HTMLCanvasElement | null>>();

  constructor(
    private readonly viewport: Types.IStackViewport,
    private readonly onChange: (state: HeatmapState) => void,
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "heatmap-overlay";
    this.canvas.dataset["testid"] = "heatmap-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    this.canvas.hidden = true;
  }

  get state(): HeatmapState {
    return { available: this.current !== null, visible: this.visible, opacity: this.opacity };
  }

  /** The finding of the image now on screen (undefined: the model said nothing about it). */
  async showFinding(finding: Finding | undefined): Promise<void> {
    const generation = ++this.generation;
    this.current = null;
    this.draw();
    if (!finding?.heatmap_url || !finding.heatmap_region) return;
    const pixels = await this.heatmapPixels(finding.heatmap_url);
    if (generation !== this.generation || !pixels) return;
    this.current = { pixels, region: finding.heatmap_region };
    this.draw();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.draw();
  }

  toggle(): void {
    this.setVisible(!this.visible);
  }

  setOpacity(opacity: number): void {
    this.opacity = Math.min(1, Math.max(0.1, opacity));
    this.draw();
  }

  stepOpacity(direction: 1 | -1): void {
    this.setOpacity(stepOpacity(this.opacity, direction));
  }

  draw(): void {
    const shown = this.visible && this.current !== null;
    this.canvas.hidden = !shown;
    this.onChange(this.state);
    if (!shown || !this.current) return;
    const context = this.fitCanvas();
    const geometry = this.viewport.getImageData();
    if (!context || !geometry) return;
    const { pixels, region } = this.current;
    const [topLeft, topRight, bottomLeft] = regionIndexCorners(region);
    const [a, b, c, d, e, f] = affineFromCorners(
      this.toCanvas(geometry, topLeft),
      this.toCanvas(geometry, topRight),
      this.toCanvas(geometry, bottomLeft),
      pixels.width,
      pixels.height,
    );
    const scale = window.devicePixelRatio || 1;
    context.setTransform(a * scale, b * scale, c * scale, d * scale, e * scale, f * scale);
    context.globalAlpha = this.opacity;
    // Smooth: the 28x28 map is a coarse estimate, not 28x28 blocks of certainty.
    context.imageSmoothingEnabled = true;
    context.drawImage(pixels, 0, 0);
  }

  private toCanvas(geometry: ImageGeometry, corner: Point2): Point2 {
    return this.viewport.worldToCanvas(indexToWorld(geometry, corner));
  }

  /** Match the canvas to the viewport's size in device pixels and clear it. */
  private fitCanvas(): CanvasRenderingContext2D | null {
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(this.viewport.element.clientWidth * scale);
    const height = Math.round(this.viewport.element.clientHeight * scale);
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    const context = this.canvas.getContext("2d");
    if (!context) return null;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, width, height);
    return context;
  }

  private heatmapPixels(url: string): Promise<HTMLCanvasElement | null> {
    let pixels = this.pngs.get(url);
    if (!pixels) {
      pixels = loadColourisedPng(url);
      this.pngs.set(url, pixels);
    }
    return pixels;
  }
}

/** The heatmap PNG colour-mapped at its own size; null when it cannot be had (no overlay then). */
async function loadColourisedPng(url: string): Promise<HTMLCanvasElement | null> {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return null;
    const bitmap = await createImageBitmap(await response.blob());
    const canvas = document.createElement("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext("2d");
    if (!context) return null;
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    colouriseHeatmap(image.data);
    context.putImageData(image, 0, 0);
    return canvas;
  } catch {
    return null;
  }
}
