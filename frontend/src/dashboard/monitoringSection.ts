/**
 * "Models in use" on the dashboard (admins): per model version, how readers judged its answers
 * by AI result, the share of studies it could not judge, and its scores on incoming studies
 * against its scores on the fixed test set (two histograms and the PSI).
 */

import { getTasks } from "../api/tasks";
import { h } from "../pages/dom";
import {
  type MonitoredVersion,
  type ModelMonitoring,
  describeDrift,
  formatShare,
  getModelMonitoring,
  histogramBars,
  verdictRows,
} from "./monitoringFormat";

const SVG = "http://www.w3.org/2000/svg";
const PLOT = { width: 360, height: 120, left: 8, bottom: 18, top: 6 };
const SERIES = { reference: "Test set", incoming: "Incoming" } as const;
const ANCHORS: Record<number, string> = { 0: "start", 1: "end" };

function svg(tag: string, attributes: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function histogramFigure(version: MonitoredVersion): SVGElement {
  const { width, height, left, bottom, top } = PLOT;
  const scores = version.scores;
  const bars = histogramBars(scores, width, height);
  const label =
    `Histograms of version ${version.version}'s scores: test set (${scores.n_reference} images) ` +
    `and incoming studies (${scores.n_incoming}). ${describeDrift(scores)}`;
  return svg(
    "svg",
    {
      class: "monitoring-histogram",
      role: "img",
      "aria-label": label,
      viewBox: `0 0 ${width + 2 * left} ${height + top + bottom}`,
      "data-testid": `histogram-${version.id}`,
    },
    svg("title", {}, label),
    svg(
      "g",
      { transform: `translate(${left}, ${top})` },
      svg("line", { x1: 0, y1: height, x2: width, y2: height, class: "monitoring-axis" }),
      ...bars.map((bar) =>
        svg(
          "rect",
          {
            x: bar.x,
            y: bar.y,
            width: bar.width,
            height: bar.height,
            class: `monitoring-bar-${bar.series}`,
            "data-series": bar.series,
          },
          svg("title", {}, `${SERIES[bar.series]}, bin ${bar.bin + 1}: ${formatShare(bar.share)}`),
        ),
      ),
      ...[0, 0.5, 1].map((tick) =>
        svg(
          "text",
          { x: tick * width, y: height + 14, class: "monitoring-tick", "text-anchor": ANCHORS[tick] ?? "middle" },
          String(tick),
        ),
      ),
    ),
  );
}

function verdictTable(version: MonitoredVersion): HTMLTableElement {
  const notJudged = version.not_judged;
  return h(
    "table",
    { class: "studies monitoring-table", "data-testid": `verdicts-${version.id}` },
    h("caption", {}, `Reads of studies version ${version.version} scored`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "AI result"),
        h("th", { scope: "col", class: "cell-number" }, "Confirmed"),
        h("th", { scope: "col", class: "cell-number" }, "Refuted"),
        h("th", { scope: "col", class: "cell-number" }, "Confirmed share"),
      ),
    ),
    h(
      "tbody",
      {},
      ...verdictRows(version).map((row) =>
        h(
          "tr",
          { "data-ai": row.key },
          h("th", { scope: "row" }, row.label),
          h("td", { class: "cell-number" }, String(row.confirmed)),
          h("td", { class: "cell-number" }, String(row.refuted)),
          h("td", { class: "cell-number" }, formatShare(row.confirmedShare)),
        ),
      ),
      h(
        "tr",
        { "data-ai": "not_judged" },
        h("th", { scope: "row" }, "Could not judge"),
        h(
          "td",
          { class: "cell-number", colspan: 3, "data-testid": `not-judged-${version.id}` },
          `${formatShare(notJudged.share)} (${notJudged.count} of ${notJudged.total} studies scored)`,
        ),
      ),
    ),
  );
}

function versionCard(version: MonitoredVersion): HTMLElement {
  return h(
    "figure",
    { class: "turnaround-figure monitoring-version", "data-testid": `monitoring-version-${version.id}` },
    h("h3", {}, `Version ${version.version}${version.is_active ? " (active)" : ""}`),
    verdictTable(version),
    h(
      "div",
      { class: "monitoring-legend" },
      h("span", { class: "monitoring-swatch monitoring-bar-reference" }),
      " test set ",
      h("span", { class: "monitoring-swatch monitoring-bar-incoming" }),
      " incoming studies (calibrated score, 0 to 1)",
    ),
    histogramFigure(version),
    h("figcaption", { "data-testid": `drift-${version.id}` }, describeDrift(version.scores)),
  );
}

function taskBlock(title: string, monitoring: ModelMonitoring): HTMLElement {
  return h(
    "div",
    { class: "monitoring-task", "data-task": monitoring.task },
    h("h2", {}, title),
    monitoring.versions.length
      ? h("div", { class: "turnaround-figures" }, ...monitoring.versions.map(versionCard))
      : h("p", { class: "status" }, "No version of this task is active or was used in this period."),
  );
}

/** Fill `section` with every task's monitoring over `days` days; throws what the API threw. */
export async function loadModelMonitoring(section: HTMLElement, days: number, signal: AbortSignal): Promise<void> {
  const tasks = await getTasks(signal);
  const blocks = await Promise.all(
    tasks.map(async (task) => taskBlock(task.display_name, await getModelMonitoring(task.name, days, signal))),
  );
  section.replaceChildren(h("h1", { id: "monitoring-heading" }, "Models in use"), ...blocks);
}
