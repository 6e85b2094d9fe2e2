/**
 * A grouped bar chart of wait, read and turnaround minutes (median and p90) per group, with
 * Chart.js. Only the parts used are registered, which keeps the bundle small.
 */

import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

import type { TurnaroundGroup } from "../api/turnaround";
import { type Measure, chartSeries, groupLabel } from "./turnaroundFormat";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// The reading-room palette (styles.css): one hue per measure, the p90 bar a lighter shade.
const COLORS: Record<Measure, [median: string, p90: string]> = {
  wait: ["#5aa9ff", "rgba(90, 169, 255, 0.45)"],
  read: ["#6cc490", "rgba(108, 196, 144, 0.45)"],
  turnaround: ["#e0a84f", "rgba(224, 168, 79, 0.45)"],
};
const TEXT = "#9aa4b1";
const GRID = "#2a313b";

export function drawTurnaroundChart(
  canvas: HTMLCanvasElement,
  groups: readonly TurnaroundGroup[],
): Chart<"bar", (number | null)[], string> {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: groups.map(groupLabel),
      datasets: chartSeries(groups).map((series) => ({
        label: series.label,
        data: series.data,
        backgroundColor: COLORS[series.measure][series.statistic === "median" ? 0 : 1],
        borderWidth: 0,
      })),
    },
    options: {
      // Numbers, not motion: the chart is drawn at once, also for print and screenshots.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      color: TEXT,
      scales: {
        x: { ticks: { color: TEXT }, grid: { color: GRID } },
        y: {
          beginAtZero: true,
          title: { display: true, text: "minutes", color: TEXT },
          ticks: { color: TEXT },
          grid: { color: GRID },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { color: TEXT, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label ?? ""}: ${item.raw === null ? "—" : String(item.raw)} min`,
          },
        },
      },
    },
  });
}
