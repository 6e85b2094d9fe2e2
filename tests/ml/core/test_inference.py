from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np
import pydicom
import pytest
from PIL import Image

from ml.core.chest_xray import ChestXrayConfig, NotApplicableImage
from ml.core.errors import ModelLoadError
from ml.core.inference import (
    ChestXrayInference,
    FrameScore,
    device_summary,
    heatmap_png,
    score_datasets,
)
from ml.core.networks import build_chest_xray_classifier
from ml.core.spec import Calibration, ClassifierHyperparameters, InputSpec
from ml.core.training import save_model
from tests.ml.core.helpers import SHARED_DICOM, gradient, make_dataset

SPEC = InputSpec()
TINY = ClassifierHyperparameters(widths=(8, 16), convs_per_block=1, dropout=0.0)


@pytest.fixture(scope="module")
def inference() -> ChestXrayInference:
    keras.utils.set_random_seed(0)
    model = build_chest_xray_classifier(SPEC, TINY)
    return ChestXrayInference(model, spec=SPEC, calibration=Calibration(slope=0.5, intercept=1.0))


def images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((count, 28, 28, 1)).astype(np.float32)


def with_blob(background: np.ndarray, centre: tuple[int, int]) -> np.ndarray:
    y, x = np.mgrid[0:28, 0:28]
    blob = 0.6 * np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / 8.0)
    return np.clip(background + blob, 0.0, 1.0)


def test_predict_returns_probabilities_calibrated_and_heatmaps(
    inference: ChestXrayInference,
) -> None:
    prediction = inference.predict(images(5))

    assert prediction.probabilities.shape == prediction.calibrated.shape == (5,)
    assert prediction.heatmaps.shape == (5, 28, 28)
    assert prediction.heatmaps.dtype == np.float32
    assert prediction.heatmaps.min() >= 0.0 and prediction.heatmaps.max() <= 1.0
    np.testing.assert_allclose(
        prediction.calibrated, inference.calibration.apply(prediction.probabilities)
    )


def test_probabilities_match_the_plain_keras_model(inference: ChestXrayInference) -> None:
    batch = images(6)

    expected = inference.model.predict(batch, verbose=0)[:, 0]

    np.testing.assert_allclose(inference.predict(batch).probabilities, expected, atol=1e-6)


def test_large_batches_are_chunked_without_changing_results(inference: ChestXrayInference) -> None:
    small_chunks = ChestXrayInference(
        inference.model, spec=SPEC, calibration=inference.calibration, batch_size=3
    )
    batch = images(10)

    a, b = inference.predict(batch), small_chunks.predict(batch)

    np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-6)
    np.testing.assert_allclose(a.heatmaps, b.heatmaps, atol=1e-6)


def test_an_empty_batch_gives_empty_results(inference: ChestXrayInference) -> None:
    prediction = inference.predict(np.zeros((0, 28, 28, 1), np.float32))

    assert prediction.probabilities.shape == (0,)
    assert prediction.heatmaps.shape == (0, 28, 28)


def test_a_batch_of_the_wrong_shape_is_refused(inference: ChestXrayInference) -> None:
    with pytest.raises(ValueError, match="shape"):
        inference.predict(np.zeros((2, 32, 32, 1), np.float32))


def test_a_model_without_the_cam_layers_is_refused() -> None:
    inputs = keras.Input((28, 28, 1))
    plain = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))

    with pytest.raises(ModelLoadError, match="class activation map"):
        ChestXrayInference(plain, spec=SPEC, calibration=Calibration())


def test_a_model_for_another_input_size_is_refused(inference: ChestXrayInference) -> None:
    with pytest.raises(ModelLoadError, match="does not match"):
        ChestXrayInference(inference.model, spec=InputSpec(32), calibration=Calibration())


def test_load_reads_a_saved_model_and_refuses_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    save_model(build_chest_xray_classifier(SPEC, TINY), path)

    loaded = ChestXrayInference.load(path, spec=SPEC, calibration=Calibration())

    assert loaded.predict(images(2)).probabilities.shape == (2,)
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError):
        ChestXrayInference.load(path, spec=SPEC, calibration=Calibration())


def test_the_heatmap_hot_spot_follows_a_bright_blob() -> None:
    # A tiny model learns "a blob means positive"; its CAM must then point at the blob.
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    background = rng.normal(0.3, 0.05, (512, 28, 28))
    labels = rng.integers(0, 2, 512)
    centres = rng.integers(5, 23, (512, 2))
    train = np.stack(
        [
            with_blob(b, tuple(c)) if y else b
            for b, y, c in zip(background, labels, centres, strict=True)
        ]
    )
    model = build_chest_xray_classifier(SPEC, TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    model.fit(train[..., None], labels, epochs=4, batch_size=32, verbose=0)
    test_centres = [(6, 6), (6, 21), (21, 6), (21, 21), (14, 14)]
    test = np.stack([with_blob(rng.normal(0.3, 0.05, (28, 28)), c) for c in test_centres])

    prediction = ChestXrayInference(model, spec=SPEC, calibration=Calibration()).predict(
        test[..., None].astype(np.float32)
    )

    assert (prediction.probabilities > 0.9).all()
    for heatmap, centre in zip(prediction.heatmaps, test_centres, strict=True):
        hot = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        assert abs(hot[0] - centre[0]) <= 2 and abs(hot[1] - centre[1]) <= 2


def test_heatmap_png_is_an_8bit_grayscale_png() -> None:
    heatmap = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)

    image = Image.open(io.BytesIO(heatmap_png(heatmap)))

    assert (image.format, image.mode, image.size) == ("PNG", "L", (28, 28))
    assert np.asarray(image)[0, 0] == 0 and np.asarray(image)[-1, -1] == 255
    with pytest.raises(ValueError):
        heatmap_png(np.zeros((2, 2, 2)))


def test_score_datasets_keeps_each_dataset_and_frame_in_order(
    inference: ChestXrayInference,
) -> None:
    ct = pydicom.dcmread(SHARED_DICOM / "ct" / "pydicom_CT_small.dcm")
    two_frames = make_dataset(np.stack([gradient(), np.zeros((64, 64), np.uint16)]))
    datasets = [make_dataset(gradient()), ct, two_frames]

    results = score_datasets(datasets, inference=inference, config=ChestXrayConfig())

    assert [len(r) for r in results] == [1, 1, 2]
    assert isinstance(results[0][0], FrameScore)
    assert results[1][0] == NotApplicableImage(None, "modality CT is not a chest radiograph")
    assert isinstance(results[2][0], FrameScore) and results[2][0].frame_number == 1
    assert results[2][1] == NotApplicableImage(2, "image has constant pixel values")
    single = inference.predict(ChestXrayConfig().prepare(datasets[0])[0].image[None])  # type: ignore[union-attr]
    assert results[0][0].probability == pytest.approx(float(single.probabilities[0]), abs=1e-6)


def test_device_summary_names_the_device() -> None:
    assert device_summary() == "CPU only" or device_summary().startswith("GPU: ")
