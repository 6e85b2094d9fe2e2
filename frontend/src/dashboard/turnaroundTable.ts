/** The numbers behind a turnaround chart, as a table (the chart's accessible equivalent). */

import type { TurnaroundGroup } from "../api/turnaround";
import { h } from "../pages/dom";
import { MEASURES, formatMinutes } from "./turnaroundFormat";

export function turnaroundTable(caption: string, groups: readonly TurnaroundGroup[]): HTMLTableElement {
  return h(
    "table",
    { class: "studies turnaround-table" },
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", rowspan: 2 }, "Group"),
        h("th", { scope: "col", rowspan: 2, class: "cell-number" }, "Studies"),
        ...MEASURES.map((measure) =>
          h("th", { scope: "colgroup", colspan: 2, title: measure.description }, `${measure.label} (min)`),
        ),
      ),
      h(
        "tr",
        {},
        ...MEASURES.flatMap(() => [
          h("th", { scope: "col", class: "cell-number" }, "median"),
          h("th", { scope: "col", class: "cell-number" }, "p90"),
        ]),
      ),
    ),
    h(
      "tbody",
      {},
      ...groups.map((group) =>
        h(
          "tr",
          { "data-group": group.key },
          h("th", { scope: "row" }, group.label),
          h("td", { class: "cell-number" }, String(group.count)),
          ...MEASURES.flatMap((measure) => [
            h("td", { class: "cell-number" }, formatMinutes(group[measure.key].median)),
            h("td", { class: "cell-number" }, formatMinutes(group[measure.key].p90)),
          ]),
        ),
      ),
    ),
  );
}
