/**
 * The models page's small SVG plots: both ROC curves of a comparison, a reliability curve, and a
 * run's loss and validation AUC per epoch. Geometry comes from plot.ts; colours from models.css.
 */

import type { EpochRecord, TestSetMetrics } from "../api/models";
import { type Box, diagonalPath, historyPaths, linePath, reliabilityPath, rocPath, UNIT } from "./plot";

const NS = "http://www.w3.org/2000/svg";

type Attributes = Record<string, string | number>;

export function svg(tag: string, attributes: Attributes = {}, ...children: (Node | string)[]): SVGElement {
  const element = document.createElementNS(NS, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function frame(box: Box, label: string, testId: string): SVGElement {
  return svg(
    "svg",
    {
      viewBox: `0 0 ${box.width} ${box.height}`,
      width: box.width,
      height: box.height,
      role: "img",
      "aria-label": label,
      class: "plot",
      "data-testid": testId,
    },
    svg("title", {}, label),
    svg("rect", {
      x: box.padding,
      y: box.padding,
      width: box.width - 2 * box.padding,
      height: box.height - 2 * box.padding,
      class: "plot-area",
    }),
  );
}

function text(x: number, y: number, words: string, attributes: Attributes = {}): SVGElement {
  return svg("text", { x, y, class: "plot-text", ...attributes }, words);
}

function legend(box: Box, entries: { words: string; className: string }[]): SVGElement {
  const group = svg("g", { class: "plot-legend" });
  entries.forEach((entry, index) => {
    const y = box.height - box.padding - 12 - index * 14;
    const x = box.width - box.padding - 110;
    group.append(
      svg("line", { x1: x, y1: y, x2: x + 14, y2: y, class: entry.className }),
      text(x + 18, y + 4, entry.words),
    );
  });
  return group;
}

const ROC_BOX: Box = { width: 300, height: 300, padding: 28 };

/** Both ROC curves on one plot, with the chance diagonal, axes' names and a legend. */
export function rocChart(
  candidate: { label: string; metrics: TestSetMetrics },
  baseline: { label: string; metrics: TestSetMetrics } | null,
): SVGElement {
  const box = ROC_BOX;
  const plot = frame(box, `ROC curves: ${candidate.label}${baseline ? ` and ${baseline.label}` : ""}`, "roc-plot");
  plot.append(svg("path", { d: diagonalPath(box), class: "line-chance" }));
  const entries = [{ words: candidate.label, className: "line-candidate" }];
  if (baseline) {
    plot.append(svg("path", { d: rocPath(box, baseline.metrics.roc), class: "line-baseline", "data-testid": "roc-baseline" }));
    entries.push({ words: baseline.label, className: "line-baseline" });
  }
  plot.append(svg("path", { d: rocPath(box, candidate.metrics.roc), class: "line-candidate", "data-testid": "roc-candidate" }));
  plot.append(
    text(box.width / 2, box.height - 6, "False positive rate", { "text-anchor": "middle" }),
    text(10, box.height / 2, "Sensitivity", {
      "text-anchor": "middle",
      transform: `rotate(-90 10 ${box.height / 2})`,
    }),
    legend(box, entries),
  );
  return plot;
}

const SMALL_BOX: Box = { width: 220, height: 160, padding: 20 };

/** Observed positive rate against predicted probability, per bin, for one or two versions. */
export function reliabilityChart(
  candidate: { label: string; metrics: TestSetMetrics },
  baseline: { label: string; metrics: TestSetMetrics } | null,
): SVGElement {
  const box = SMALL_BOX;
  const plot = frame(box, "Reliability: observed rate against predicted probability", "reliability-plot");
  plot.append(svg("path", { d: linePath(box, UNIT, [[0, 0], [1, 1]]), class: "line-chance" }));
  if (baseline) plot.append(svg("path", { d: reliabilityPath(box, baseline.metrics.reliability), class: "line-baseline" }));
  plot.append(svg("path", { d: reliabilityPath(box, candidate.metrics.reliability), class: "line-candidate" }));
  plot.append(
    text(box.width / 2, box.height - 4, "Predicted probability", { "text-anchor": "middle" }),
    text(8, box.height / 2, "Observed", { "text-anchor": "middle", transform: `rotate(-90 8 ${box.height / 2})` }),
  );
  return plot;
}

/** Loss (falling) and validation AUC (rising) per epoch, each on its own scale. */
export function historyChart(history: readonly EpochRecord[], epochs: number | null): SVGElement {
  const box = SMALL_BOX;
  const paths = historyPaths(box, history, epochs);
  const plot = frame(box, "Training loss and validation AUC per epoch", "history-plot");
  plot.append(
    svg("path", { d: paths.loss, class: "line-loss" }),
    svg("path", { d: paths.auc, class: "line-auc" }),
    text(box.width / 2, box.height - 4, "Epoch", { "text-anchor": "middle" }),
    legend({ ...box, padding: box.padding + 4 }, [
      { words: "validation AUC", className: "line-auc" },
      { words: "loss", className: "line-loss" },
    ]),
  );
  return plot;
}
