/** The study's series as thumbnails (modality, description, image count); a click shows one. */

import { seriesThumbnailUrl } from "../api/qido";
import { countLabel } from "../pages/messages";
import { h } from "../pages/dom";
import type { SeriesStack } from "./studyStacks";

export class SeriesList {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[];

  constructor(studyInstanceUid: string, stacks: readonly SeriesStack[], onSelect: (index: number) => void) {
    this.buttons = stacks.map((stack, index) => {
      const { series, frames } = stack;
      const description = series.description || `Series ${series.seriesNumber ?? index + 1}`;
      const thumbnail = h("img", {
        class: "viewer-thumb",
        src: seriesThumbnailUrl(studyInstanceUid, series.seriesInstanceUid),
        alt: "",
        loading: "lazy",
      });
      // Without a thumbnail the caption still says what the series is.
      thumbnail.addEventListener("error", () => thumbnail.remove(), { once: true });
      const button = h(
        "button",
        { type: "button", class: "viewer-series-item", "data-series": series.seriesInstanceUid },
        h("span", { class: "viewer-thumb-frame" }, thumbnail),
        h(
          "span",
          { class: "viewer-series-caption" },
          h("span", { class: "viewer-series-modality" }, series.modality),
          h("span", { class: "viewer-series-description" }, description),
          h("span", { class: "viewer-series-count" }, countLabel(frames.length, "image", "images")),
        ),
      );
      button.addEventListener("click", () => onSelect(index));
      return button;
    });
    this.element = h(
      "nav",
      { class: "viewer-series", "aria-label": "Series" },
      h("ul", {}, ...this.buttons.map((button) => h("li", {}, button))),
    );
  }

  showActive(index: number): void {
    this.buttons.forEach((button, i) => {
      if (i === index) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  }
}
