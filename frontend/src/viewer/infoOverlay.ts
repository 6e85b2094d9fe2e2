/** Text in the viewport's corners; it never takes the mouse from the image. */

import type { Finding } from "../api/reading";
import { h } from "../pages/dom";
import { findingText, imagePosition, windowText, zoomText } from "./overlayText";
import type { WindowLevel } from "./windowing";

export interface InfoState {
  series: string;
  index: number;
  count: number;
  window: WindowLevel | undefined;
  zoom: number;
  finding: Finding | undefined;
}

export class InfoOverlay {
  readonly element: HTMLElement;
  private readonly series = h("span");
  private readonly position = h("span", { "data-testid": "image-position" });
  private readonly window = h("span", { "data-testid": "window-level" });
  private readonly zoom = h("span");
  private readonly score = h("span", { "data-testid": "image-score" });

  constructor() {
    this.element = h(
      "div",
      { class: "viewer-info", "aria-live": "off" },
      h("div", { class: "viewer-info-top-left" }, this.series, this.position),
      h("div", { class: "viewer-info-top-right" }, this.score),
      h("div", { class: "viewer-info-bottom-left" }, this.window, this.zoom),
    );
  }

  update(state: InfoState): void {
    this.series.textContent = state.series;
    this.position.textContent = imagePosition(state.index, state.count);
    this.window.textContent = windowText(state.window);
    this.zoom.textContent = zoomText(state.zoom);
    this.score.textContent = findingText(state.finding);
  }
}
