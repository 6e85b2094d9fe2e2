/**
 * A measurement in words and in the shape it is stored, from a Cornerstone annotation's data.
 * Pure: works on plain objects, so it is tested without Cornerstone.
 */

import type { MeasurementData, MeasurementTool } from "../api/measurements";

/** The measuring tools this viewer offers (the API also knows RectangleROI). */
const MEASUREMENT_TOOLS: readonly MeasurementTool[] = ["Length", "Angle", "EllipticalROI"];

export function isMeasurementTool(toolName: string | undefined): toolName is MeasurementTool {
  return MEASUREMENT_TOOLS.includes(toolName as MeasurementTool);
}

/** The statistics a tool caches per image (one entry per target; a stack has one). */
export type CachedStatsByTarget = Record<string, Record<string, unknown>>;

/** A number with the precision a reader needs: 3 significant-ish digits, no trailing noise. */
export function formatMeasure(value: number): string {
  const magnitude = Math.abs(value);
  const decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return value.toFixed(decimals);
}

function numberOf(stats: Record<string, unknown>, key: string): number | undefined {
  const value = stats[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function textOf(stats: Record<string, unknown>, key: string): string {
  const value = stats[key];
  return typeof value === "string" ? value : "";
}

function withUnit(value: number, unit: string): string {
  return unit ? `${formatMeasure(value)} ${unit}` : formatMeasure(value);
}

/**
 * "23.4 mm" for a length, "42.0°" for an angle, "mean 112 HU, area 310 mm²" for a region; ""
 * while the tool has not computed its statistics yet.
 */
export function measurementSummary(tool: MeasurementTool, cachedStats: CachedStatsByTarget | undefined): string {
  const stats = Object.values(cachedStats ?? {})[0];
  if (!stats) return "";
  if (tool === "Length") {
    const length = numberOf(stats, "length");
    return length === undefined ? "" : withUnit(length, textOf(stats, "unit"));
  }
  if (tool === "Angle") {
    const angle = numberOf(stats, "angle");
    return angle === undefined ? "" : `${angle.toFixed(1)}°`;
  }
  const parts: string[] = [];
  const mean = numberOf(stats, "mean");
  const area = numberOf(stats, "area");
  if (mean !== undefined) parts.push(`mean ${withUnit(mean, textOf(stats, "modalityUnit"))}`);
  if (area !== undefined) parts.push(`area ${withUnit(area, textOf(stats, "areaUnit"))}`);
  return parts.join(", ");
}

/**
 * What is stored of an annotation's data: the handles' points (world coordinates), the text box
 * only where the reader moved it, and the label. Cached statistics are left out (a region's hold
 * every pixel inside it; the tool computes them again when it draws the annotation), and so is
 * the text box's computed position, which changes with zoom and would make every view an edit.
 */
export function storedMeasurementData(data: Record<string, unknown>): MeasurementData {
  const handles = (data["handles"] ?? {}) as Record<string, unknown>;
  const textBox = handles["textBox"] as { hasMoved?: unknown } | undefined;
  const stored: { handles: Record<string, unknown>; label?: string } = {
    handles: { points: copy(handles["points"] ?? []) },
  };
  if (textBox?.hasMoved === true) stored.handles["textBox"] = copy(textBox);
  const label = data["label"];
  if (typeof label === "string" && label !== "") stored.label = label;
  return stored;
}

function copy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** JSON with object keys sorted, to compare data that went through a store which reorders keys. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
