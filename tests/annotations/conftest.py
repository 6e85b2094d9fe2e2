"""Fixtures the label tests share, and the triage ones they need (a small active model)."""

import pytest

from annotations.models import LabelSchema
from archive.models import Instance
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.conftest import SHARED_DICOM
from tests.triage.conftest import active_model, small_model_file  # noqa: F401

# 169 rows x 211 columns: boxes and masks have a size to be checked against.
DX = SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm"


@pytest.fixture
def image(ingest_file) -> Instance:
    """A stored radiograph (DX), with its series and study."""
    return Instance.objects.select_related("series__study").get(pk=ingest_file(DX).instance_id)


@pytest.fixture
def schema() -> LabelSchema:
    """Version 1 of the task's label schema, as migration 0003 and post_migrate seed it."""
    return LabelSchema.objects.get(task=CHEST_XRAY_PNEUMONIA.name, version=1)
