/**
 * The active version's card (figures on the fixed test set when it has been evaluated there, else
 * those it was registered with; Roll back) and the table of every version of the task.
 */

import type { ModelVersion, TestSetMetrics } from "../api/models";
import { h } from "../pages/dom";
import { fixed, percent, registeredAuc, whenText } from "./format";

export interface VersionsActions {
  rollBack(): Promise<void>;
  showComparison(versionId: number): void;
}

/** The card; `figures` are the active version's test-set metrics when known. */
export function activeCard(
  active: ModelVersion | null,
  figures: Partial<TestSetMetrics> | null,
  where: string,
  actions: VersionsActions,
): HTMLElement {
  const card = h("section", { class: "models-panel active-card", "data-testid": "active-version" }, h("h2", {}, "Active version"));
  if (!active) {
    card.append(h("p", { class: "muted" }, "No version is active: studies are not scored."));
    return card;
  }
  card.dataset["version"] = String(active.version);
  const metrics = figures ?? active.metrics["test"] ?? active.metrics["validation"] ?? {};
  const status = h("p", { class: "status", role: "status", "data-testid": "rollback-status" });
  const rollBack = h("button", { type: "button", class: "button-quiet" }, "Roll back");
  rollBack.addEventListener("click", () => {
    if (!window.confirm(`Roll back from version ${active.version} to the version active before it?`)) return;
    rollBack.disabled = true;
    status.textContent = "Rolling back…";
    actions
      .rollBack()
      .then(() => {
        status.textContent = "";
      })
      .catch((error: unknown) => {
        status.textContent = error instanceof Error ? error.message : "The roll-back was refused.";
      })
      .finally(() => {
        rollBack.disabled = false;
      });
  });
  card.append(
    h("p", { class: "active-version-number" }, h("strong", {}, `Version ${active.version}`), ` · created ${whenText(active.created_at)}`),
    h(
      "p",
      { "data-testid": "active-figures" },
      `AUC ${fixed(metrics.auc ?? registeredAuc(active))} · sensitivity ${percent(metrics.sensitivity)} · ` +
        `specificity ${percent(metrics.specificity)} at threshold ${fixed(metrics.threshold ?? active.threshold)}`,
      h("span", { class: "muted" }, ` (${where})`),
    ),
    active.load_error ? h("p", { class: "field-error" }, `Failed to load: ${active.load_error}`) : "",
    h("p", {}, rollBack),
    status,
  );
  return card;
}

export function versionsTable(versions: readonly ModelVersion[], actions: VersionsActions): HTMLElement {
  const rows = versions.map((version) => {
    const compare = h("button", { type: "button", class: "button-quiet" }, "Compare");
    compare.addEventListener("click", () => actions.showComparison(version.id));
    return h(
      "tr",
      { "data-version": version.version, "data-active": version.is_active ? "true" : "false" },
      h("td", { class: "cell-number" }, String(version.version)),
      h("td", { class: "cell-nowrap" }, whenText(version.created_at)),
      h("td", {}, version.created_by ?? "–"),
      h("td", { class: "cell-number" }, version.parent === null ? "–" : String(version.parent)),
      h("td", {}, version.is_active ? "Active" : ""),
      h("td", { class: "cell-number" }, fixed(registeredAuc(version))),
      h("td", {}, compare),
    );
  });
  return h(
    "section",
    { class: "models-panel" },
    h("h2", {}, "Versions"),
    versions.length
      ? h(
          "table",
          { class: "studies", "data-testid": "versions" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Version", "Created", "By", "Parent", "Active", "Test AUC", ""].map((name) => h("th", { scope: "col" }, name)),
            ),
          ),
          h("tbody", {}, ...rows),
        )
      : h("p", { class: "muted" }, "No version is registered for this task."),
  );
}
