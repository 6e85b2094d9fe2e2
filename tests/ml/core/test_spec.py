from __future__ import annotations

import json

import numpy as np
import pytest

from ml.core.spec import Calibration, ClassifierHyperparameters, InputSpec, TrainingConfig


def test_specs_and_configs_survive_a_json_round_trip() -> None:
    config = TrainingConfig(
        epochs=3, hyperparameters=ClassifierHyperparameters(widths=(8, 16)), spec=InputSpec(32)
    )

    for value in (InputSpec(64), Calibration(1.5, -0.2), config):
        restored = type(value).from_dict(json.loads(json.dumps(value.to_dict())))

        assert restored == value


def test_a_config_stored_before_calibration_label_smoothing_loads_with_the_default() -> None:
    stored = TrainingConfig().to_dict()
    del stored["calibration_label_smoothing"]

    assert TrainingConfig.from_dict(stored).calibration_label_smoothing == 0.02


def test_the_identity_calibration_leaves_probabilities_unchanged() -> None:
    probabilities = np.array([0.01, 0.3, 0.5, 0.99])

    np.testing.assert_allclose(Calibration().apply(probabilities), probabilities)


def test_calibration_is_platt_scaling_on_the_logit() -> None:
    # logit(0.75) = ln 3; doubled: ln 9 -> 9 / 10.
    np.testing.assert_allclose(Calibration(slope=2.0).apply(np.array([0.75])), [0.9])
    np.testing.assert_allclose(Calibration(intercept=np.log(3)).apply(np.array([0.5])), [0.75])


def test_calibration_of_saturated_probabilities_stays_finite() -> None:
    out = Calibration(slope=0.5, intercept=0.1).apply(np.array([0.0, 1.0], dtype=np.float32))

    assert np.isfinite(out).all()
    assert 0.0 < out[0] < out[1] < 1.0


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError):
        InputSpec(image_size=28, channels=3)
    with pytest.raises(ValueError):
        ClassifierHyperparameters(dropout=1.0)
    with pytest.raises(ValueError):
        TrainingConfig(epochs=0)
    with pytest.raises(ValueError):
        TrainingConfig(calibration_label_smoothing=0.5)
    with pytest.raises(ValueError):
        Calibration.from_dict({"slope": float("nan"), "intercept": 0.0})
