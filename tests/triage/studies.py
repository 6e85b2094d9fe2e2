"""Chest radiograph studies for triage tests: real PneumoniaMNIST images wrapped as DX, as the
demo does, with the attributes a test needs changed, stored through the ingest service."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from typing import Any

from django.utils import timezone
from pydicom import dcmwrite

from archive.models import Study
from archive.services.demo import PNEUMONIA_NPZ, WrappedImage, dx_dataset, pneumonia_images
from archive.services.ingest import instance_ingest
from tests.conftest import SHARED_DICOM

NPZ = SHARED_DICOM.parent / PNEUMONIA_NPZ


@cache
def chest_images() -> tuple[WrappedImage, ...]:
    """The first 40 validation images (normal and pneumonia), as the demo wraps them."""
    return tuple(pneumonia_images(npz_path=NPZ, count=40))


def image_with_label(label: int, nth: int = 0) -> WrappedImage:
    return [image for image in chest_images() if image.label == label][nth]


def dx_bytes(image: WrappedImage, **attributes: Any) -> bytes:
    """The image as a DX Part 10 file; `attributes` set (or, with None, delete) elements."""
    ds = dx_dataset(image, today=dt.date.today())
    for keyword, value in attributes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def store(data: bytes) -> Study:
    result = instance_ingest(fp=io.BytesIO(data), source="test")
    return Study.objects.get(study_instance_uid=result.study_instance_uid)


def stable(study: Study, *, received_minutes_ago: float = 0.0) -> Study:
    """Mark the study stable as the archive would, and start triage as its signal does."""
    from triage.services.scoring import study_triage_start

    received = timezone.now() - dt.timedelta(minutes=received_minutes_ago)
    Study.objects.filter(pk=study.pk).update(
        status=Study.Status.STABLE, stable_at=timezone.now(), received_at=received
    )
    study_triage_start(study_id=study.pk)
    return Study.objects.get(pk=study.pk)


def waiting_study(n: int, *, minutes_ago: float = 0.0, **attributes: Any) -> Study:
    """Chest image `n` stored as a study, stable and on the worklist (`attributes` as dx_bytes)."""
    study = store(dx_bytes(chest_images()[n], **attributes))
    return stable(study, received_minutes_ago=minutes_ago)


def score_now(study: Study) -> Study:
    """Score the study in this process with the active model, as the inference worker would."""
    from triage.models import StudyScoring
    from triage.services.scoring import study_score

    study_score(scoring_id=StudyScoring.objects.get(study=study).pk)
    return Study.objects.get(pk=study.pk)
