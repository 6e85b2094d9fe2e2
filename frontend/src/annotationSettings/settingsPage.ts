/**
 * /annotate/settings: where an admin edits a task's label schema (a new version each time) and
 * its annotation queue (strategy, k, batch size, lock time). Everything goes through the admin
 * API, which checks it; this page shows what the server said.
 */

import "./settings.css";

import { getTasks } from "../api/tasks";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { queueSection } from "./queueSection";
import { schemaSection } from "./schemaSection";
import { getQueueSettings, listSchemas, listStrategies } from "./settingsApi";

const SETTINGS = { name: "The annotation settings", forbidden: "Your role may not change the annotation settings." };

export function mountAnnotationSettingsPage(root: HTMLElement): () => void {
  const controller = new AbortController();
  const signal = controller.signal;
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status" }, "Loading the annotation settings…");
  const taskSelect = h("select", { name: "task" });
  const taskPicker = h("label", { class: "field", hidden: true }, h("span", { class: "field-label" }, "Task"), taskSelect);
  const schemaPart = h("div", { "data-testid": "schema-settings" });
  const queuePart = h("div", { "data-testid": "queue-settings" });
  root.replaceChildren(
    h(
      "section",
      { class: "annotation-settings-page", "data-testid": "annotation-settings" },
      h("h1", {}, "Annotation settings"),
      taskPicker,
      alert,
      status,
      h("div", { class: "settings-columns" }, schemaPart, queuePart),
    ),
  );

  function fail(error: unknown, what: string): void {
    if (!signal.aborted) showAlert(alert, describeError(error, what, SETTINGS));
  }

  function loadSchema(task: string, message = ""): void {
    listSchemas(task, signal)
      .then((versions) => {
        schemaPart.replaceChildren(
          schemaSection(task, versions, (saved) => loadSchema(task, `Saved as version ${saved.version}.`), message)
            .element,
        );
      })
      .catch((error: unknown) => fail(error, "the label schema"));
  }

  function loadTask(task: string): void {
    alert.hidden = true;
    schemaPart.replaceChildren();
    queuePart.replaceChildren();
    loadSchema(task);
    Promise.all([getQueueSettings(task, signal), listStrategies(signal)])
      .then(([settings, strategies]) => queuePart.replaceChildren(queueSection(task, settings, strategies)))
      .catch((error: unknown) => fail(error, "the queue settings"));
  }

  getTasks(signal)
    .then((tasks) => {
      status.textContent = "";
      status.hidden = true;
      taskSelect.replaceChildren(...tasks.map((task) => h("option", { value: task.name }, task.display_name)));
      taskPicker.hidden = tasks.length < 2;
      taskSelect.addEventListener("change", () => loadTask(taskSelect.value));
      const first = tasks[0];
      if (first) loadTask(first.name);
      else status.textContent = "No task is registered.";
    })
    .catch((error: unknown) => fail(error, "the tasks"));

  return () => {
    controller.abort();
    root.replaceChildren();
  };
}
