/**
 * The geometry of the models page's small SVG plots, apart from the DOM: linear scales, path data
 * for ROC, reliability and per-epoch curves. y grows upwards in the data and downwards in SVG.
 */

import type { EpochRecord } from "../api/models";

export interface Box {
  width: number;
  height: number;
  /** Blank space around the plotting area, for axes' words. */
  padding: number;
}

export interface Domain {
  x: [number, number];
  y: [number, number];
}

/** A point of the data in SVG coordinates (rounded to 0.1 px). */
export function project(box: Box, domain: Domain, x: number, y: number): [number, number] {
  const [x0, x1] = domain.x;
  const [y0, y1] = domain.y;
  const width = box.width - 2 * box.padding;
  const height = box.height - 2 * box.padding;
  const fx = x1 === x0 ? 0.5 : (x - x0) / (x1 - x0);
  const fy = y1 === y0 ? 0.5 : (y - y0) / (y1 - y0);
  const round = (v: number) => Math.round(v * 10) / 10;
  return [round(box.padding + fx * width), round(box.padding + (1 - fy) * height)];
}

/** SVG path data through the points in order ("M x y L x y ..."); "" for none. */
export function linePath(box: Box, domain: Domain, points: readonly (readonly number[])[]): string {
  const usable = points.filter(
    (point) => point.length >= 2 && Number.isFinite(point[0]) && Number.isFinite(point[1]),
  );
  return usable
    .map((point, index) => {
      const [x, y] = project(box, domain, point[0] as number, point[1] as number);
      return `${index === 0 ? "M" : "L"}${x} ${y}`;
    })
    .join(" ");
}

export const UNIT: Domain = { x: [0, 1], y: [0, 1] };

/** The ROC curve ([fpr, tpr] pairs) on the unit square. */
export function rocPath(box: Box, roc: readonly (readonly number[])[] | undefined): string {
  return linePath(box, UNIT, roc ?? []);
}

/** The chance line from (0, 0) to (1, 1). */
export function diagonalPath(box: Box): string {
  return linePath(box, UNIT, [
    [0, 0],
    [1, 1],
  ]);
}

/** Observed rate against mean predicted probability for each non-empty bin. */
export function reliabilityPath(
  box: Box,
  bins: readonly { mean_probability: number; observed_rate: number; count: number }[] | undefined,
): string {
  return linePath(
    box,
    UNIT,
    (bins ?? []).filter((bin) => bin.count > 0).map((bin) => [bin.mean_probability, bin.observed_rate]),
  );
}

/** [low, high] around values, padded by 5% (a flat series gets a unit-wide band). */
export function extent(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  if (high === low) return [low - 0.5, high + 0.5];
  const pad = (high - low) * 0.05;
  return [low - pad, high + pad];
}

/**
 * Two per-epoch curves on one plot: training loss and validation AUC, each on its own y range
 * (loss falls while AUC rises; one shared axis would flatten one of them). x runs over epochs
 * 1..epochs (the planned count, so the curve grows rightwards as the run goes).
 */
export function historyPaths(
  box: Box,
  history: readonly EpochRecord[],
  epochs: number | null,
): { loss: string; auc: string; lossRange: [number, number]; aucRange: [number, number] } {
  const last = Math.max(epochs ?? 0, ...history.map((record) => record.epoch), 2);
  const series = (key: "loss" | "val_auc") =>
    history.flatMap((record) => {
      const value = record[key];
      return typeof value === "number" && Number.isFinite(value) ? [[record.epoch, value]] : [];
    });
  const loss = series("loss");
  const auc = series("val_auc");
  const lossRange = extent(loss.map((point) => point[1] as number));
  const aucRange = extent(auc.map((point) => point[1] as number));
  return {
    loss: linePath(box, { x: [1, last], y: lossRange }, loss),
    auc: linePath(box, { x: [1, last], y: aucRange }, auc),
    lossRange,
    aucRange,
  };
}
