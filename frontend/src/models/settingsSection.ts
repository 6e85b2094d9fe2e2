/**
 * The task's training settings (target sensitivity, promotion margin, auto-promote, shadow hours,
 * default mode) and its retrain schedules (nightly, or when N new labels have arrived). Each
 * refusal, the page's own or the server's, is shown beside its field.
 */

import {
  type Schedule,
  type ScheduleKind,
  type TrainingMode,
  type TrainingSettings,
  addSchedule,
  deleteSchedule,
  listSchedules,
  putTrainingSettings,
  updateSchedule,
} from "../api/models";
import { fieldErrors } from "../annotationSettings/schemaDraft";
import { h } from "../pages/dom";
import { whenText } from "./format";
import {
  type Errors,
  NEW_SCHEDULE,
  type ScheduleDraft,
  type SettingsDraft,
  scheduleBody,
  scheduleErrors,
  scheduleText,
  scheduleToggled,
  settingsBody,
  settingsDraftFrom,
  settingsErrors,
} from "./forms";

/** Error lines under fields, by name; shown and cleared together. */
class FieldErrors {
  private readonly lines = new Map<string, HTMLElement>();

  constructor(private readonly prefix: string) {}

  line(field: string): HTMLElement {
    const line = h("span", { class: "field-error", id: `${this.prefix}-error-${field}`, "data-testid": `${this.prefix}-error-${field}`, hidden: true });
    this.lines.set(field, line);
    return line;
  }

  show(errors: Errors): void {
    for (const [field, line] of this.lines) {
      const message = errors[field];
      line.textContent = message ?? "";
      line.hidden = !message;
    }
  }
}

function labelled(label: string, control: HTMLElement, error: HTMLElement | null): HTMLElement {
  if (error) control.setAttribute("aria-describedby", error.id);
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control, error);
}

function modeSelect(value: TrainingMode): HTMLSelectElement {
  const select = h(
    "select",
    { name: "mode" },
    h("option", { value: "fine_tune" }, "Fine-tune the active version"),
    h("option", { value: "scratch" }, "Train from scratch"),
  );
  select.value = value;
  return select;
}

export function settingsForm(task: string, settings: TrainingSettings, saved: (stored: TrainingSettings) => void): HTMLElement {
  let draft: SettingsDraft = settingsDraftFrom(settings);
  const errors = new FieldErrors("settings");
  const status = h("p", { class: "status", role: "status", "data-testid": "settings-status" });
  const number = (name: keyof SettingsDraft, step: string) => {
    const input = h("input", { type: "number", name, step, value: String(draft[name]) });
    input.addEventListener("input", () => {
      draft = { ...draft, [name]: input.value };
    });
    return input;
  };
  const autoPromote = h("input", { type: "checkbox", name: "auto_promote", checked: draft.auto_promote });
  autoPromote.addEventListener("change", () => {
    draft = { ...draft, auto_promote: autoPromote.checked };
  });
  const mode = modeSelect(draft.default_mode);
  mode.addEventListener("change", () => {
    draft = { ...draft, default_mode: mode.value as TrainingMode };
  });
  const save = h("button", { type: "submit" }, "Save settings");
  const form = h(
    "form",
    { class: "models-panel models-form", "data-testid": "training-settings", novalidate: true },
    h("h2", {}, "Promotion settings"),
    labelled("Target sensitivity (sets each version's threshold)", number("target_sensitivity", "0.01"), errors.line("target_sensitivity")),
    labelled("Promotion margin (AUC a candidate must beat the active by)", number("promotion_margin", "0.001"), errors.line("promotion_margin")),
    h("label", { class: "field-inline" }, autoPromote, " Promote automatically when the gate passes", errors.line("auto_promote")),
    labelled("Shadow hours before promotion (0: none)", number("shadow_hours", "1"), errors.line("shadow_hours")),
    labelled("Default mode", mode, errors.line("default_mode")),
    h("p", {}, save),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const local = settingsErrors(draft);
    errors.show(local);
    if (Object.keys(local).length) {
      status.textContent = "Nothing was saved.";
      return;
    }
    save.disabled = true;
    status.textContent = "Saving…";
    putTrainingSettings(task, settingsBody(draft))
      .then((stored) => {
        draft = settingsDraftFrom(stored);
        status.textContent = "Saved.";
        saved(stored);
      })
      .catch((error: unknown) => {
        const refusal = fieldErrors(error);
        errors.show(refusal.fields);
        status.textContent = refusal.general ? `Nothing was saved: ${refusal.general}` : "Nothing was saved.";
      })
      .finally(() => {
        save.disabled = false;
      });
  });
  return form;
}

function scheduleItem(schedule: Schedule, reload: () => void, status: HTMLElement): HTMLElement {
  const enabled = h("input", { type: "checkbox", checked: schedule.enabled, "aria-label": `Enabled: ${scheduleText(schedule)}` });
  enabled.addEventListener("change", () => {
    updateSchedule(schedule.id, scheduleToggled(schedule))
      .catch((error: unknown) => {
        status.textContent = error instanceof Error ? error.message : "Not changed.";
      })
      .finally(reload);
  });
  const remove = h("button", { type: "button", class: "button-quiet" }, "Delete");
  remove.addEventListener("click", () => {
    if (!window.confirm(`Delete the schedule "${scheduleText(schedule)}"?`)) return;
    deleteSchedule(schedule.id)
      .catch((error: unknown) => {
        status.textContent = error instanceof Error ? error.message : "Not deleted.";
      })
      .finally(reload);
  });
  const last = schedule.last_fired_at ? ` Last fired ${whenText(schedule.last_fired_at)}: ${schedule.last_result}` : "";
  return h(
    "li",
    { "data-testid": `schedule-${schedule.id}` },
    h("label", { class: "field-inline" }, enabled, ` ${scheduleText(schedule)}`),
    " ",
    remove,
    last ? h("span", { class: "muted" }, last) : null,
  );
}

function scheduleForm(task: string, added: () => void): HTMLElement {
  let draft: ScheduleDraft = { ...NEW_SCHEDULE };
  const errors = new FieldErrors("schedule");
  const status = h("p", { class: "status", role: "status", "data-testid": "schedule-status" });
  const kind = h(
    "select",
    { name: "kind" },
    h("option", { value: "nightly" }, "Nightly"),
    h("option", { value: "labels" }, "When new labels arrive"),
  );
  const input = (name: "time" | "min_new_labels" | "check_minutes", type: string) => {
    const control = h("input", { type, name, value: draft[name], ...(type === "number" ? { min: 1, step: 1 } : {}) });
    control.addEventListener("input", () => {
      draft = { ...draft, [name]: control.value };
    });
    return control;
  };
  const nightly = labelled("At (time of day)", input("time", "time"), errors.line("time"));
  const labels = h(
    "div",
    { hidden: true },
    labelled("New labels (N)", input("min_new_labels", "number"), errors.line("min_new_labels")),
    labelled("Check every (minutes)", input("check_minutes", "number"), errors.line("check_minutes")),
  );
  kind.addEventListener("change", () => {
    draft = { ...draft, kind: kind.value as ScheduleKind };
    nightly.hidden = draft.kind !== "nightly";
    labels.hidden = draft.kind === "nightly";
  });
  const mode = modeSelect(draft.mode);
  mode.addEventListener("change", () => {
    draft = { ...draft, mode: mode.value as TrainingMode };
  });
  const form = h(
    "form",
    { class: "models-form schedule-form", "data-testid": "schedule-form", novalidate: true },
    labelled("Retrain", kind, errors.line("kind")),
    nightly,
    labels,
    labelled("Mode", mode, errors.line("mode")),
    h("p", {}, h("button", { type: "submit" }, "Add schedule")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const local = scheduleErrors(draft);
    errors.show(local);
    if (Object.keys(local).length) return;
    addSchedule(scheduleBody(task, draft))
      .then(() => {
        status.textContent = "Added.";
        added();
      })
      .catch((error: unknown) => {
        const refusal = fieldErrors(error);
        const { hour, minute, ...rest } = refusal.fields;
        errors.show({ ...rest, ...(hour || minute ? { time: [hour, minute].filter(Boolean).join(" ") } : {}) });
        status.textContent = refusal.general ? `Not added: ${refusal.general}` : "Not added.";
      });
  });
  return form;
}

export function schedulesSection(task: string, signal: AbortSignal): HTMLElement {
  const list = h("ul", { class: "schedules", "data-testid": "schedules" });
  const status = h("p", { class: "status", role: "status" });
  function reload(): void {
    listSchedules(task, { signal })
      .then((schedules) => {
        list.replaceChildren(
          ...(schedules.length
            ? schedules.map((schedule) => scheduleItem(schedule, reload, status))
            : [h("li", { class: "muted" }, "No schedule: runs start by hand.")]),
        );
      })
      .catch((error: unknown) => {
        if (!signal.aborted) status.textContent = error instanceof Error ? error.message : "The schedules could not be loaded.";
      });
  }
  reload();
  return h("section", { class: "models-panel" }, h("h2", {}, "Schedules"), list, status, scheduleForm(task, reload));
}
