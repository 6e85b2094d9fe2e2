/** The series of the open study, each with a rendered thumbnail (a placeholder until one loads). */

import { formatDicomDate, formatPersonName } from "../../api/format";
import {
  type SeriesSummary,
  type StudySummary,
  searchSeries,
  seriesThumbnailUrl,
} from "../../api/qido";
import { h } from "../dom";
import { countLabel, describeError } from "../messages";
import type { ViewerHref } from "./studyTable";

export interface SeriesPanel {
  element: HTMLElement;
  open(study: StudySummary): Promise<void>;
  /** Empty the panel; returnFocus hands focus back to the study's row (Close, Escape). */
  close(returnFocus: boolean): void;
}

function thumbnail(study: StudySummary, series: SeriesSummary): HTMLElement {
  const placeholder = h(
    "div",
    { class: "thumb thumb-placeholder", "aria-hidden": "true" },
    series.modality || "—",
  );
  const image = h("img", {
    class: "thumb",
    src: seriesThumbnailUrl(study.studyInstanceUid, series.seriesInstanceUid),
    alt: "",
    loading: "lazy",
    decoding: "async",
    width: 96,
    height: 96,
  });
  // The placeholder sits under the image until it arrives, and stays if the server cannot
  // render one.
  image.addEventListener("load", () => placeholder.remove());
  image.addEventListener("error", () => image.remove());
  return h("div", { class: "thumb-frame" }, placeholder, image);
}

function seriesItem(study: StudySummary, series: SeriesSummary): HTMLElement {
  const number = series.seriesNumber === undefined ? "" : `#${series.seriesNumber} `;
  return h(
    "li",
    { class: "series-item", "data-series-uid": series.seriesInstanceUid },
    thumbnail(study, series),
    h(
      "div",
      { class: "series-text" },
      h("div", { class: "series-title" }, `${number}${series.description || "(no description)"}`),
      h(
        "div",
        { class: "series-meta" },
        [series.modality, countLabel(series.numberOfInstances, "instance", "instances")]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
  );
}

export function createSeriesPanel(
  onClose: (study: StudySummary, returnFocus: boolean) => void,
  viewerHref: ViewerHref,
): SeriesPanel {
  const heading = h("h2", { id: "series-heading" }, "Series");
  const summary = h("p", { class: "series-study" }, "Select a study to see its series.");
  const viewerLink = h("a", { class: "open-viewer", hidden: true }, "Open in viewer");
  const status = h("p", { class: "status", role: "status" });
  const list = h("ul", { class: "series-list", "aria-labelledby": "series-heading" });
  const closeButton = h("button", { type: "button", class: "button-quiet", hidden: true }, "Close");
  const element = h(
    "section",
    { class: "series-panel", "aria-labelledby": "series-heading" },
    h("div", { class: "panel-head" }, heading, closeButton),
    summary,
    viewerLink,
    status,
    list,
  );
  let current: StudySummary | undefined;
  let controller: AbortController | undefined;

  const close = (returnFocus: boolean): void => {
    controller?.abort();
    const closed = current;
    current = undefined;
    closeButton.hidden = true;
    viewerLink.hidden = true;
    viewerLink.removeAttribute("href");
    summary.textContent = "Select a study to see its series.";
    status.textContent = "";
    status.classList.remove("is-error");
    list.replaceChildren();
    if (closed) onClose(closed, returnFocus);
  };
  closeButton.addEventListener("click", () => close(true));
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && current) close(true);
  });

  const open = async (study: StudySummary): Promise<void> => {
    controller?.abort();
    controller = new AbortController();
    current = study;
    closeButton.hidden = false;
    if (viewerHref) {
      viewerLink.href = viewerHref(study.studyInstanceUid);
      viewerLink.hidden = false;
    }
    summary.textContent = [
      formatPersonName(study.patientName) || "(no name)",
      study.patientId,
      formatDicomDate(study.studyDate),
      study.description,
    ]
      .filter(Boolean)
      .join(" · ");
    status.classList.remove("is-error");
    status.textContent = "Loading series…";
    list.replaceChildren();
    try {
      const series = await searchSeries(study.studyInstanceUid, controller.signal);
      list.replaceChildren(...series.map((item) => seriesItem(study, item)));
      status.textContent = series.length ? countLabel(series.length, "series", "series") : "This study has no series.";
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      status.classList.add("is-error");
      status.textContent = describeError(error, "the series").text;
    }
  };

  return { element, open, close };
}
