/**
 * The turnaround dashboard: for the chosen period, how long studies waited, took to read and took
 * in all (median and p90), by clinical priority and by AI result, as charts with their tables.
 * Admins also see the models in use over the same period (monitoringSection).
 */

import type { Chart } from "chart.js";

import { type Turnaround, type TurnaroundGroup, getTurnaround } from "../api/turnaround";
import type { PageContext } from "../app/router";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { formatInstant } from "../pages/time";
import { loadModelMonitoring } from "./monitoringSection";
import { drawTurnaroundChart } from "./turnaroundChart";
import { PERIODS, type Period, periodFromSearch, periodToSearch } from "./turnaroundFormat";
import { turnaroundTable } from "./turnaroundTable";

const DASHBOARD = { name: "The dashboard", forbidden: "Your role may not see the turnaround dashboard." };
const MONITORING = { name: "Model monitoring", forbidden: "Only admins see the models in use." };

function periodPicker(current: Period, onPick: (days: Period) => void): HTMLElement {
  return h(
    "fieldset",
    { class: "period-picker" },
    h("legend", {}, "Period"),
    ...PERIODS.map((days) => {
      const input = h("input", { type: "radio", name: "days", value: days, checked: days === current });
      input.addEventListener("change", () => onPick(days));
      return h("label", {}, input, days === 1 ? " last day" : ` last ${days} days`);
    }),
  );
}

function figure(id: string, title: string, groups: readonly TurnaroundGroup[], charts: Chart[]): HTMLElement {
  const canvas = h("canvas", {
    role: "img",
    "aria-label": `${title}: bar chart of wait, read and turnaround minutes (median and p90); the table below has the numbers.`,
  });
  const element = h(
    "figure",
    { class: "turnaround-figure", "aria-labelledby": `${id}-title`, "data-testid": id },
    h("h2", { id: `${id}-title` }, title),
    h("div", { class: "chart-box" }, canvas),
    turnaroundTable(`${title}, in minutes`, groups),
  );
  // Chart.js measures its container: draw once the figure is in the document.
  queueMicrotask(() => {
    charts.push(drawTurnaroundChart(canvas, groups));
    element.dataset["rendered"] = "true";
  });
  return element;
}

export function mountDashboardPage(root: HTMLElement, context: PageContext): () => void {
  let days = periodFromSearch(window.location.search);
  let controller: AbortController | undefined;
  let charts: Chart[] = [];

  const summary = h("dl", { class: "dashboard-summary", "aria-live": "polite" });
  const status = h("p", { class: "status", role: "status" });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const figures = h("div", { class: "turnaround-figures" });
  // ml.change_modelversion (accounts/roles.py): admins only, as GET /api/models/monitoring.
  const monitors = context.me.roles.includes("admin");
  const monitoring = h("section", {
    class: "dashboard monitoring",
    "aria-labelledby": "monitoring-heading",
    "data-testid": "models-in-use",
    hidden: !monitors,
  });
  const monitoringAlert = h("div", { class: "alert", role: "alert", hidden: true });

  const clearCharts = (): void => {
    for (const chart of charts) chart.destroy();
    charts = [];
  };

  function show(data: Turnaround): void {
    clearCharts();
    summary.replaceChildren(
      h("dt", {}, "Studies read"),
      h("dd", { "data-testid": "studies-read" }, String(data.studies_read)),
      h("dt", {}, "Waiting now"),
      h("dd", { "data-testid": "waiting-now" }, String(data.waiting_now)),
      h("dt", {}, "Period"),
      h("dd", {}, `${formatInstant(data.from)} – ${formatInstant(data.to)}`),
    );
    figures.replaceChildren(
      figure("by-priority", "By clinical priority", data.by_priority, charts),
      figure("by-ai", "By AI result", data.by_ai, charts),
    );
    status.textContent = data.studies_read === 0 ? "No study was read in this period." : "";
  }

  async function load(): Promise<void> {
    controller?.abort();
    controller = new AbortController();
    context.replaceSearch(periodToSearch(days));
    alert.hidden = true;
    status.textContent = "Loading…";
    if (monitors) void loadMonitoring(controller.signal);
    try {
      show(await getTurnaround(days, controller.signal));
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      status.textContent = "";
      showAlert(alert, describeError(error, "turnaround figures", DASHBOARD));
    }
  }

  async function loadMonitoring(signal: AbortSignal): Promise<void> {
    monitoringAlert.hidden = true;
    try {
      await loadModelMonitoring(monitoring, days, signal);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      monitoring.replaceChildren(h("h1", { id: "monitoring-heading" }, "Models in use"), monitoringAlert);
      showAlert(monitoringAlert, describeError(error, "model monitoring", MONITORING));
    }
  }

  root.replaceChildren(
    h(
      "section",
      { class: "dashboard", "aria-labelledby": "dashboard-heading" },
      h(
        "div",
        { class: "dashboard-head" },
        h("h1", { id: "dashboard-heading" }, "Turnaround"),
        periodPicker(days, (picked) => {
          days = picked;
          void load();
        }),
      ),
      summary,
      status,
      alert,
      figures,
    ),
    monitoring,
  );
  void load();

  return () => {
    controller?.abort();
    clearCharts();
    root.replaceChildren();
  };
}
