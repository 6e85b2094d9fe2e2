/**
 * The queue settings part of the settings page: the strategy (by display name), labels per case
 * (k), batch size and lock time in minutes, saved with PUT. The server's field errors are shown
 * next to their fields in words, and a refused form changes nothing.
 */

import { h } from "../pages/dom";
import { type QueueDraft, queueBody, queueDraftFrom } from "./queueForm";
import { fieldErrors } from "./schemaDraft";
import { type QueueSettings, type StrategyChoice, putQueueSettings } from "./settingsApi";

type QueueField = keyof QueueDraft;

/** Which form field shows the server's error about each stored field. */
const FIELD_OF: Record<string, QueueField> = {
  strategy: "strategy",
  labels_required: "labels_required",
  batch_size: "batch_size",
  lock_seconds: "lock_minutes",
};

export function queueSection(task: string, settings: QueueSettings, strategies: StrategyChoice[]): HTMLElement {
  let draft = queueDraftFrom(settings);
  let saving = false;
  const status = h("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": "queue-status" });
  const general = h("div", { class: "alert", role: "alert", hidden: true });
  const errorLines = new Map<QueueField, HTMLElement>();

  function errorLine(field: QueueField): HTMLElement {
    const line = h("span", { class: "field-error", id: `queue-error-${field}`, "data-testid": `queue-error-${field}`, hidden: true });
    errorLines.set(field, line);
    return line;
  }

  function labelled(label: string, control: HTMLInputElement | HTMLSelectElement, field: QueueField, hint = ""): HTMLElement {
    control.setAttribute("aria-describedby", `queue-error-${field}`);
    control.addEventListener("input", () => {
      draft = { ...draft, [field]: control.value };
    });
    return h(
      "label",
      { class: "field" },
      h("span", { class: "field-label" }, label),
      control,
      hint ? h("span", { class: "muted" }, hint) : null,
      errorLine(field),
    );
  }

  const known = strategies.some((choice) => choice.key === draft.strategy);
  const strategy = h(
    "select",
    { name: "strategy" },
    ...(known ? [] : [h("option", { value: draft.strategy }, draft.strategy)]),
    ...strategies.map((choice) => h("option", { value: choice.key }, choice.display_name)),
  );
  strategy.value = draft.strategy;
  strategy.addEventListener("change", () => {
    draft = { ...draft, strategy: strategy.value };
  });
  const number = (name: QueueField, step: string): HTMLInputElement =>
    h("input", { type: "number", name, value: draft[name], step, min: step === "1" ? 1 : 0 });

  const save = h("button", { type: "submit" }, "Save queue settings");
  const form = h(
    "form",
    { class: "queue-form", "data-testid": "queue-form", novalidate: true },
    h("h2", {}, "Annotation queue"),
    labelled("Strategy (which images come first)", strategy, "strategy"),
    labelled("Annotators per case (k)", number("labels_required", "1"), "labels_required"),
    labelled("Batch size (cases chosen at a time)", number("batch_size", "1"), "batch_size"),
    labelled("Lock time (minutes a taken case is held)", number("lock_minutes", "any"), "lock_minutes"),
    general,
    h("p", {}, save),
    status,
  );

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (saving) return;
    saving = true;
    save.disabled = true;
    status.textContent = "Saving…";
    general.hidden = true;
    for (const line of errorLines.values()) line.hidden = true;
    putQueueSettings(task, queueBody(draft))
      .then((stored) => {
        draft = queueDraftFrom(stored);
        status.textContent = "Saved. The next batch is chosen with these settings.";
      })
      .catch((error: unknown) => {
        const refusal = fieldErrors(error);
        status.textContent = "Nothing was saved.";
        for (const [field, message] of Object.entries(refusal.fields)) {
          const line = errorLines.get(FIELD_OF[field] ?? "strategy");
          if (!line) continue;
          line.textContent = field === "lock_seconds" ? `${message} (in seconds)` : message;
          line.hidden = false;
        }
        if (refusal.general) {
          general.textContent = refusal.general;
          general.hidden = false;
        }
      })
      .finally(() => {
        saving = false;
        save.disabled = false;
      });
  });
  return form;
}
