/**
 * /review/agreement: how far annotators agree, with the number of cases or pairs behind every
 * figure: Fleiss' kappa overall and per class, each annotator's Cohen's kappa against each other
 * annotator and against the adjudicated truth, box IoU and mask Dice.
 */

import "./review.css";

import { classDisplayName } from "../api/tasks";
import { showAlert } from "../pages/alert";
import { h } from "../pages/dom";
import { describeError } from "../pages/messages";
import { type Agreement, getAgreement } from "./reviewApi";
import { formatFigure } from "./reviewFormat";

const AGREEMENT = { name: "Agreement", forbidden: "Your role may not see agreement figures." };

function table(testId: string, caption: string, headers: string[], rows: (string | number)[][]): HTMLTableElement {
  return h(
    "table",
    { class: "studies agreement-table", "data-testid": testId },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((label) => h("th", { scope: "col" }, label)))),
    h(
      "tbody",
      {},
      ...rows.map((cells) =>
        h("tr", {}, ...cells.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, String(cell)) : h("td", {}, String(cell))))),
      ),
    ),
  );
}

/** The figures as tables (exported for the page and its tests). */
export function agreementTables(figures: Agreement): HTMLElement[] {
  const name = (key: string): string => classDisplayName(key, figures.task);
  const { overall, boxes, masks } = figures;
  return [
    table(
      "agreement-overall",
      `${figures.cases} labelled or adjudicated cases`,
      ["Measure", "Value", "Behind it"],
      [
        ["Fleiss' kappa (classes)", formatFigure(overall.fleiss_kappa), `${overall.cases} cases with 2+ annotators`],
        ["Observed agreement", formatFigure(overall.observed), `chance: ${formatFigure(overall.expected)}`],
        ["Box IoU (mean)", formatFigure(boxes.iou_mean), `${boxes.pairs} annotator pairs`],
        ["Mask Dice (mean)", formatFigure(masks.dice_mean), `${masks.pairs} annotator pairs per class`],
      ],
    ),
    table(
      "agreement-classes",
      "Per class (chose it or not: Fleiss' kappa)",
      ["Class", "Fleiss' kappa", "Cases", "Chosen", "Ratings"],
      figures.classes.map((c) => [name(c.class), formatFigure(c.fleiss_kappa), c.cases, c.chosen, c.ratings]),
    ),
    table(
      "agreement-annotators",
      "Per annotator (Cohen's kappa; cases behind each figure in brackets)",
      ["Annotator", "Cases", "Against each other annotator", "Against the truth", "Box IoU", "Mask Dice"],
      figures.annotators.map((a) => [
        a.annotator,
        a.cases,
        a.pairs.map((p) => `${p.with}: ${formatFigure(p.kappa)} (${p.cases})`).join("; ") || "—",
        `${formatFigure(a.truth.kappa)} (${a.truth.cases})`,
        `${formatFigure(a.box_iou.mean)} (${a.box_iou.pairs})`,
        `${formatFigure(a.mask_dice.mean)} (${a.mask_dice.pairs})`,
      ]),
    ),
  ];
}

export function mountAgreementPage(root: HTMLElement): () => void {
  const controller = new AbortController();
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status" }, "Loading the agreement figures…");
  const content = h("div", { class: "agreement-figures" });
  root.replaceChildren(
    h(
      "section",
      { class: "agreement-page" },
      h("h1", {}, "Agreement between annotators"),
      h("p", {}, h("a", { href: "/review" }, "Back to the review queue")),
      alert,
      status,
      content,
    ),
  );
  getAgreement(undefined, controller.signal)
    .then((figures) => {
      status.textContent = `Task ${figures.task}. A dash: no figure (no data, or every rating the same class).`;
      content.replaceChildren(...agreementTables(figures));
    })
    .catch((error: unknown) => {
      if (!controller.signal.aborted) showAlert(alert, describeError(error, "the agreement figures", AGREEMENT));
    });
  return () => {
    controller.abort();
    root.replaceChildren();
  };
}
