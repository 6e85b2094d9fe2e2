/** The study's header on the reading page: who and what, the clinical priority, the AI's answer
 * and the reasons the study came up when it did. */

import { formatDicomDate, formatPersonName } from "../api/format";
import type { StudyForReading } from "../api/reading";
import { h } from "../pages/dom";
import { aiFlag, formatProbability } from "../worklist/rowFormat";

function aiDetails(study: StudyForReading): string {
  const { ai } = study;
  if (ai.status !== "positive" && ai.status !== "negative") return aiFlag(ai).title;
  const parts = [
    ai.label ? `${ai.label}` : "",
    ai.probability === null ? "" : `probability ${formatProbability(ai.probability)}`,
    ai.threshold === null ? "" : `threshold ${formatProbability(ai.threshold)}`,
    ai.model ? `model ${ai.model}` : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

export function studyHeader(study: StudyForReading): HTMLElement {
  const flag = aiFlag(study.ai);
  const studyLine = [
    study.patient_id,
    study.accession_number && `Acc. ${study.accession_number}`,
    study.modality,
    formatDicomDate(study.study_date ?? ""),
    study.study_description,
  ]
    .filter(Boolean)
    .join(" · ");
  return h(
    "div",
    { class: "reading-study" },
    h("h1", { class: "reading-patient" }, formatPersonName(study.patient_name) || "(no name)"),
    h("p", { class: "reading-study-line" }, studyLine),
    h(
      "p",
      { class: "reading-priority" },
      h(
        "span",
        { class: `badge badge-${study.clinical_priority.toLowerCase()}` },
        study.clinical_priority,
      ),
      study.clinical_reason ? ` ${study.clinical_reason}` : "",
    ),
    h(
      "p",
      { class: "reading-ai", "data-testid": "ai-result" },
      h("span", { class: `ai-flag ai-${flag.tone}`, title: flag.title }, flag.text),
      " ",
      aiDetails(study),
    ),
    study.reasons.length
      ? h(
          "ul",
          { class: "reading-reasons", "aria-label": "Why this study is here" },
          ...study.reasons.map((reason) => h("li", {}, reason)),
        )
      : null,
  );
}
