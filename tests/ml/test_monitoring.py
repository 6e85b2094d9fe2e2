"""Monitoring the models in use (GET /api/models/monitoring): readers' verdicts by AI result,
incoming scores against the test set's, and studies the model could not judge; real studies
scored and read through the product's services."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from ml.models import ModelEvaluation
from ml.monitoring_apis import ModelMonitoringSerializer
from tests.conftest import SHARED_DICOM
from tests.test_api_schema import as_documented
from tests.triage.conftest import register, small_model_file  # noqa: F401 (fixture)
from tests.triage.studies import score_now, stable, waiting_study
from triage.models import StudyRead, StudyScoring, WorklistEntry
from triage.services.reads import worklist_entry_read

pytestmark = pytest.mark.django_db

TASK = "chest_xray_pneumonia"
CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
# Slope 0: every image gets the calibrated probability sigmoid(intercept), whatever it shows.
HALF = {"slope": 0.0, "intercept": 0.0}  # 0.5
HIGH = {"slope": 0.0, "intercept": math.log(0.8 / 0.2)}  # 0.8


def _read(study, reader, verdict: str | None) -> StudyRead:
    entry = WorklistEntry.objects.get(study=study)
    return worklist_entry_read(
        entry=entry, user=reader, verdict=StudyRead.Verdict(verdict) if verdict else None
    )


@pytest.fixture
def two_versions(small_model_file, make_user, ingest_file):  # noqa: F811
    """v1 (flags everything at 0.5) scored and read 3 studies and could not judge a CT;
    then v2 (0.8, below its threshold 0.9: flags nothing) scored and read 2 studies."""
    reader = make_user("radiologist")
    v1 = register(small_model_file, threshold=0.4, calibration=HALF)
    first = [score_now(waiting_study(n, minutes_ago=5)) for n in range(3)]
    for study, verdict in zip(first, ["ai_right", "ai_right", "ai_wrong"], strict=True):
        _read(study, reader, verdict)
    from archive.models import Study

    ct = stable(Study.objects.get(study_instance_uid=ingest_file(CT).study_instance_uid))
    score_now(ct)
    _read(ct, reader, None)  # nothing to judge: read without a verdict

    v2 = register(small_model_file, threshold=0.9, calibration=HIGH)
    second = [score_now(waiting_study(n, minutes_ago=5)) for n in range(3, 5)]
    for study, verdict in zip(second, ["ai_right", "ai_wrong"], strict=True):
        _read(study, reader, verdict)
    ModelEvaluation.objects.create(
        version=v1,
        test_set_sha256="a" * 64,
        size=4,
        positives=2,
        probabilities=[0.05, 0.15, 0.55, 0.95],
        metrics={"auc": 1.0},
    )
    return v1, v2


def test_each_version_shows_verdicts_by_ai_result_drift_and_studies_not_judged(
    two_versions, client_for
):
    v1, v2 = two_versions

    response = client_for("admin").get("/api/models/monitoring", {"task": TASK})

    assert response.status_code == 200, response.content
    body = response.json()
    assert as_documented(ModelMonitoringSerializer, body) == body
    assert body["task"] == TASK
    newest, older = body["versions"]
    assert (newest["id"], newest["version"], newest["is_active"]) == (v2.pk, v2.version, True)
    assert (older["id"], older["is_active"]) == (v1.pk, False)

    assert older["reads"] == {
        "ai_positive": {"confirmed": 2, "refuted": 1},
        "ai_negative": {"confirmed": 0, "refuted": 0},
    }
    assert newest["reads"] == {
        "ai_positive": {"confirmed": 0, "refuted": 0},
        "ai_negative": {"confirmed": 1, "refuted": 1},
    }
    assert older["not_judged"]["count"] == 1 and older["not_judged"]["total"] == 4
    assert older["not_judged"]["share"] == 0.25
    assert newest["not_judged"]["share"] == 0.0

    # v1: test-set scores one per bin 0, 1, 5, 9; incoming all 0.5 (bin 5).
    scores = older["scores"]
    assert scores["reference_histogram"] == [0.25, 0.25, 0, 0, 0, 0.25, 0, 0, 0, 0.25]
    assert scores["incoming_histogram"] == [0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0]
    assert scores["bins"][0] == 0.0 and scores["bins"][-1] == 1.0 and len(scores["bins"]) == 11
    assert scores["n_incoming"] == 3
    floor = 1e-4  # empty incoming bins, for the logarithm
    expected_psi = 3 * (floor - 0.25) * math.log(floor / 0.25) + 0.75 * math.log(1 / 0.25)
    assert scores["psi"] == pytest.approx(expected_psi)
    assert scores["ks"] == pytest.approx(0.5)  # half the test set lies below every incoming score
    assert scores["note"] is None

    # v2 has no evaluation on the test set yet.
    assert newest["scores"]["reference_histogram"] is None
    assert newest["scores"]["psi"] is None and newest["scores"]["ks"] is None
    assert newest["scores"]["incoming_histogram"][8] == 1.0
    assert "not been evaluated" in newest["scores"]["note"]


def test_the_period_leaves_out_older_scorings_and_reads(two_versions, client_for):
    v1, v2 = two_versions
    long_ago = timezone.now() - dt.timedelta(days=40)
    StudyScoring.objects.filter(model_version=v1).update(finished_at=long_ago)
    StudyRead.objects.filter(model_version=v1).update(read_at=long_ago)
    client = client_for("admin")

    recent = client.get("/api/models/monitoring", {"task": TASK}).json()
    longer = client.get("/api/models/monitoring", {"task": TASK, "days": 60}).json()

    assert [v["id"] for v in recent["versions"]] == [v2.pk]  # v1 is neither active nor used
    assert recent["days"] == 30
    assert [v["id"] for v in longer["versions"]] == [v2.pk, v1.pk]
    assert longer["versions"][1]["reads"]["ai_positive"]["confirmed"] == 2


def test_the_active_version_is_listed_before_it_scores_anything(small_model_file, client_for):  # noqa: F811
    version = register(small_model_file)

    body = client_for("admin").get("/api/models/monitoring", {"task": TASK}).json()

    (shown,) = body["versions"]
    assert shown["id"] == version.pk
    assert shown["not_judged"] == {"count": 0, "total": 0, "share": None, "failed": 0}
    assert shown["scores"]["n_incoming"] == 0 and shown["scores"]["incoming_histogram"] is None


@pytest.mark.parametrize("role", ["radiologist", "annotator", None])
def test_only_admins_see_the_monitoring(client_for, role):
    response = client_for(role).get("/api/models/monitoring", {"task": TASK})

    assert response.status_code in (401, 403)
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "task"), ({"task": "knee"}, "task"), ({"task": TASK, "days": "0"}, "days")],
)
def test_bad_parameters_are_field_errors(client_for, params, field):
    response = client_for("admin").get("/api/models/monitoring", params)

    assert response.status_code == 400
    assert field in response.json()


def test_the_counting_is_done_by_the_database_in_a_fixed_number_of_queries(
    two_versions, django_assert_max_num_queries
):
    from ml.monitoring import model_monitoring

    # Reads, scorings, incoming scores, versions, evaluations: however many studies there are.
    with django_assert_max_num_queries(5):
        monitoring = model_monitoring(task=TASK)

    assert [v["scores"]["n_incoming"] for v in monitoring["versions"]] == [2, 3]
