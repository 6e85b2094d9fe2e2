/** A worklist row for unit tests: a routine DX study waiting 10 min, not yet scored. */

import type { AiResult, WorklistRow } from "../api/worklist";

export const NO_AI: AiResult = {
  status: "pending",
  note: "",
  probability: null,
  positive: null,
  label: null,
  threshold: null,
  model: null,
};

export function worklistRow(change: Partial<WorklistRow> = {}): WorklistRow {
  return {
    study_instance_uid: "1.2.3",
    patient_name: "DOE^JANE",
    patient_id: "P1",
    accession_number: "A1",
    study_description: "CHEST PA",
    study_date: "2024-04-17",
    modality: "DX",
    num_instances: 1,
    status: "waiting",
    clinical_priority: "ROUTINE",
    clinical_reason: "",
    received_at: "2024-04-17T10:00:00Z",
    stable_at: null,
    scored_at: null,
    first_opened_at: null,
    read_at: null,
    waiting_seconds: 600,
    due_at: "2024-04-17T10:40:00Z",
    overdue: false,
    ai: NO_AI,
    reasons: [],
    claim: null,
    url: "",
    ...change,
  };
}
