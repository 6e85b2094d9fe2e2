"""Run inside the product (a `manage.py shell` of the harness): each function prints one JSON
line, which the harness reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path


def model_register(weights: str) -> None:
    """Register the small model as the active chest radiograph version; prints its id."""
    from ml.services import model_version_register

    version = model_version_register(
        task="chest_xray_pneumonia",
        architecture="chest_xray_classifier",
        weights_path=Path(weights),
        input_spec={"image_size": 28, "channels": 1},
        threshold=0.5,
        calibration={"slope": 1.0, "intercept": 0.0},
        metrics={"validation": {"auc": 0.9}},
        data_snapshot={"source": "fault tests"},
        training_config={"epochs": 2},
        activate=True,
    )
    print(json.dumps(version.pk))


def storage_sweep() -> None:
    """One run of the product's storage sweep with no grace (nothing is in flight); its report."""
    from archive.services.storage_sweep import storage_reconcile

    print(json.dumps(dataclasses.asdict(storage_reconcile(grace_seconds=0))))
