"""Scoring a study (the inference task's service, called directly): findings, heatmaps,
not-applicable images with their reasons, idempotence, and a model that will not load."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.core.spec import Calibration
from ml.models import ModelVersion
from tests.conftest import SHARED_DICOM
from tests.triage.conftest import register
from tests.triage.studies import chest_images, dx_bytes, image_with_label, stable, store
from triage.models import ImageFinding, StudyScoring, WorklistEntry
from triage.priority import format_probability
from triage.services.scoring import study_score, study_scoring_request

pytestmark = pytest.mark.django_db

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
SECONDARY_CAPTURE = (
    SHARED_DICOM / "transfer_syntaxes" / "1.2.840.10008.1.2.1.99_deflated" / "image_dfl.dcm"
)


def scored(study) -> StudyScoring:
    scoring = StudyScoring.objects.get(study=study)
    study_score(scoring_id=scoring.pk)
    scoring.refresh_from_db()
    return scoring


def test_a_chest_radiograph_gets_a_finding_a_heatmap_and_a_place(active_model, client_for):
    study = stable(store(dx_bytes(image_with_label(1))), received_minutes_ago=5)

    scoring = scored(study)

    assert scoring.status == StudyScoring.Status.DONE
    assert 0.0 <= scoring.urgency <= 1.0
    assert scoring.threshold == active_model.threshold
    assert scoring.positive == (scoring.urgency >= active_model.threshold)
    finding = ImageFinding.objects.get(scoring=scoring)
    assert finding.applicable and finding.urgency == scoring.urgency
    entry = WorklistEntry.objects.get(study=study)
    assert entry.ai_status in {"positive", "negative"}
    assert entry.scored_at is not None and entry.scored_at >= entry.stable_at
    assert any(active_model.label in reason for reason in entry.reasons)

    client = client_for("radiologist")
    detail = client.get(f"/api/worklist/{study.study_instance_uid}").json()
    assert detail["ai"]["model"] == active_model.label
    assert detail["ai"]["probability"] == pytest.approx(scoring.urgency)
    [shown] = detail["findings"]
    assert shown["model"] == active_model.label
    assert shown["threshold"] == active_model.threshold
    assert shown["positive"] == scoring.positive
    assert shown["label"] == ("pneumonia" if scoring.positive else "normal")
    heatmap = client.get(shown["heatmap_url"])
    assert heatmap.status_code == 200 and heatmap["Content-Type"] == "image/png"
    pixels = np.asarray(Image.open(io.BytesIO(b"".join(heatmap.streaming_content))))
    assert pixels.shape == (28, 28) and pixels.max() > pixels.min()


# Far from the identity: a raw 0.99 becomes 0.37, a raw 0.5 becomes 0.27, a raw 0.01 0.19.
SOFTENING = {"slope": 0.1, "intercept": -1.0}


@pytest.mark.parametrize("label", [0, 1])
@pytest.mark.parametrize("threshold", [0.2, 0.3, 0.4])
def test_the_reasons_the_api_and_the_threshold_agree_on_one_calibrated_probability(
    small_model_file: Path, client_for, label: int, threshold: float
):
    model = register(small_model_file, threshold=threshold, calibration=SOFTENING)
    study = stable(store(dx_bytes(image_with_label(label))))

    scoring = scored(study)

    calibrated = float(Calibration.from_dict(SOFTENING).apply(scoring.probability))
    assert abs(calibrated - scoring.probability) > 0.05  # the calibration matters here
    assert scoring.urgency == pytest.approx(calibrated)
    assert scoring.positive == (calibrated >= threshold)
    detail = client_for("radiologist").get(f"/api/worklist/{study.study_instance_uid}").json()
    ai = detail["ai"]
    assert ai["probability"] == pytest.approx(calibrated)
    assert ai["threshold"] == threshold
    assert ai["status"] == ("positive" if calibrated >= threshold else "negative")
    said = f"probability {format_probability(calibrated)}, "
    said += "at or above" if calibrated >= threshold else "below"
    said += f" threshold {format_probability(threshold)} ({model.label})"
    assert said in ai["note"]
    assert any(said in reason for reason in detail["reasons"])
    assert detail["findings"][0]["probability"] == pytest.approx(calibrated)


def test_scoring_twice_stores_one_result(active_model):
    study = stable(store(dx_bytes(chest_images()[0])))
    scoring = scored(study)

    again = study_score(scoring_id=scoring.pk)

    assert again is None  # the row is done: the second run claims nothing
    assert ImageFinding.objects.filter(scoring__study=study).count() == 1
    assert study_scoring_request(study_id=study.pk).pk == scoring.pk


@pytest.mark.parametrize(
    ("path", "reason"),
    [(CT, "modality CT"), (SECONDARY_CAPTURE, "secondary capture")],
)
def test_an_image_the_model_cannot_judge_is_not_applicable_with_its_reason(
    active_model, ingest_file, path, reason
):
    ingest_file(path)
    from archive.models import Study

    study = stable(Study.objects.get())

    scoring = scored(study)

    assert scoring.status == StudyScoring.Status.NOT_APPLICABLE
    finding = ImageFinding.objects.get(scoring=scoring)
    assert not finding.applicable and reason.lower() in finding.reason.lower()
    entry = WorklistEntry.objects.get(study=study)
    assert entry.ai_status == "not_applicable"
    assert reason.lower() in entry.ai_note.lower()
    assert entry.due_at == entry.fifo_due_at  # placed as without AI


def test_in_a_mixed_study_bad_images_are_set_aside_and_the_rest_scored(active_model):
    image = chest_images()[0]
    store(dx_bytes(image))
    blank = np.zeros((256, 256), dtype=np.uint8).tobytes()
    colour = dx_bytes(
        image,
        SOPInstanceUID="1.2.826.0.1.3680043.8.498.77",
        PhotometricInterpretation="RGB",
        SamplesPerPixel=3,
        PlanarConfiguration=0,
        PixelData=np.zeros((256, 256, 3), dtype=np.uint8).tobytes(),
    )
    store(dx_bytes(image, SOPInstanceUID="1.2.826.0.1.3680043.8.498.78", PixelData=blank))
    study = stable(store(colour))

    scoring = scored(study)

    assert scoring.status == StudyScoring.Status.DONE
    assert scoring.num_images_scored == 1 and scoring.num_images_not_applicable == 2
    reasons = sorted(
        ImageFinding.objects.filter(scoring=scoring, applicable=False).values_list(
            "reason", flat=True
        )
    )
    assert any("constant" in reason for reason in reasons)
    assert any("RGB" in reason for reason in reasons)


def test_a_model_that_will_not_load_pauses_scoring_and_the_worklist_goes_fifo(
    tmp_path: Path, small_model_file, client_for
):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"these are not weights")
    bad = register(broken)
    study = stable(store(dx_bytes(chest_images()[0])))

    outcome = study_score(scoring_id=StudyScoring.objects.get(study=study).pk)

    assert outcome == StudyScoring.Status.QUEUED  # kept, not failed: it waits for a model
    bad.refresh_from_db()
    assert "broken" not in bad.load_error and bad.load_error  # says why, names no paths
    assert study_scoring_request(study_id=stable(store(dx_bytes(chest_images()[1]))).pk) is None
    page = client_for("radiologist").get("/api/worklist").json()
    assert page["ordering"]["mode"] == "fifo"
    assert "failed to load" in page["ordering"]["message"]
    admin = client_for("admin").get("/api/models").json()
    assert admin[0]["load_error"] == bad.load_error
    assert bad.audit.filter(action="load_failed").exists()

    good = register(small_model_file)  # an admin registers and activates a working version

    assert ModelVersion.objects.get(pk=bad.pk).is_active is False
    assert client_for("radiologist").get("/api/worklist").json()["ordering"]["mode"] == "ai"
    assert good.is_active


def test_admins_alone_see_and_activate_model_versions(active_model, small_model_file, client_for):
    newer = register(small_model_file, activate=False)

    assert client_for("radiologist").get("/api/models").status_code == 403
    assert client_for("radiologist").post(f"/api/models/{newer.pk}/activate").status_code == 403
    response = client_for("admin").post(f"/api/models/{newer.pk}/activate", {"note": "better"})

    assert response.status_code == 200 and response.json()["is_active"]
    active_model.refresh_from_db()
    assert not active_model.is_active
    assert client_for("admin").post("/api/models/99999/activate").status_code == 404
