/** The side panel listing the reader's measurements on this study: go to one, or delete it. */

import { h } from "../pages/dom";
import type { FrameRef } from "./imageIds";
import type { MeasurementEntry } from "./measurementSync";

const TOOL_NAMES: Record<MeasurementEntry["tool"], string> = {
  Length: "Length",
  Angle: "Angle",
  EllipticalROI: "Ellipse",
  RectangleROI: "Rectangle",
};

export interface MeasurementListHandlers {
  /** Where the frame sits, in words ("series 1, image 12"). */
  describe(frame: FrameRef): string;
  show(entry: MeasurementEntry): void;
  remove(entry: MeasurementEntry): void;
}

export class MeasurementList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly note = h("p", { class: "status", hidden: true }, "View only: measurements are not saved.");

  constructor(private readonly handlers: MeasurementListHandlers) {
    this.list = h("ul", { class: "viewer-measurement-list" });
    this.empty = h("p", { class: "status" }, "No measurements yet.");
    this.element = h(
      "aside",
      { class: "viewer-measurements", "aria-label": "Your measurements" },
      h("h2", {}, "Measurements"),
      this.note,
      this.empty,
      this.list,
    );
  }

  /** Say that what is drawn here is not kept. */
  showNotSaved(): void {
    this.note.hidden = false;
  }

  render(entries: readonly MeasurementEntry[]): void {
    this.empty.hidden = entries.length > 0;
    this.list.replaceChildren(
      ...entries.map((entry) => {
        const show = h(
          "button",
          { type: "button", class: "viewer-measurement-show" },
          h("span", { class: "viewer-measurement-tool" }, TOOL_NAMES[entry.tool]),
          h("span", { class: "viewer-measurement-summary" }, entry.summary || "…"),
          h("span", { class: "viewer-measurement-where" }, this.handlers.describe(entry.frame)),
        );
        show.addEventListener("click", () => this.handlers.show(entry));
        const remove = h(
          "button",
          {
            type: "button",
            class: "button-quiet viewer-measurement-delete",
            "aria-label": `Delete ${TOOL_NAMES[entry.tool].toLowerCase()} ${entry.summary}`.trim(),
            title: "Delete",
          },
          "×",
        );
        remove.addEventListener("click", () => this.handlers.remove(entry));
        return h("li", { "data-annotation": entry.annotationUid }, show, remove);
      }),
    );
  }
}
