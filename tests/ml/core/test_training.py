from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from ml.core.augmentation import augment_batch, blur3, mixup, training_dataset
from ml.core.data import ClassificationData, load_pneumoniamnist
from ml.core.errors import ModelLoadError
from ml.core.networks import PREDICTION_LAYER, build_chest_xray_classifier
from ml.core.spec import Calibration, ClassifierHyperparameters, InputSpec, TrainingConfig
from ml.core.training import (
    _class_weights,
    averaged_weights,
    ema_momentum,
    load_model,
    save_model,
    train_classifier,
)
from tests.ml.core.helpers import PNEUMONIAMNIST

TINY = ClassifierHyperparameters(widths=(4, 8), convs_per_block=1, dropout=0.1)
METRIC_KEYS = {
    "auc",
    "accuracy",
    "sensitivity",
    "specificity",
    "ece",
    "brier",
    "n",
    "positives",
    "threshold",
}


@pytest.fixture(scope="module")
def small_data() -> ClassificationData:
    full = load_pneumoniamnist(PNEUMONIAMNIST)
    return ClassificationData(
        splits={
            "train": full.splits["train"].subset(np.arange(256)),
            "validation": full.splits["validation"].subset(np.arange(128)),
            "test": full.splits["test"].subset(np.arange(128)),
        },
        source_sha256=full.source_sha256,
    )


def test_train_classifier_on_a_small_subset_returns_every_metric(
    small_data: ClassificationData,
) -> None:
    calls: list[tuple[int, int, dict[str, float]]] = []
    config = TrainingConfig(epochs=2, batch_size=64, hyperparameters=TINY)

    result = train_classifier(small_data, config, progress=lambda *args: calls.append(args))

    assert set(result.metrics) == {"validation", "test"}
    assert set(result.metrics["test"]) == METRIC_KEYS
    assert result.metrics["validation"]["n"] == 128
    assert result.metrics["validation"]["sensitivity"] >= 0.95
    assert 0.0 <= result.threshold <= 1.0
    assert isinstance(result.calibration, Calibration)
    assert [(epoch, epochs) for epoch, epochs, _ in calls] == [(1, 2), (2, 2)]
    assert {"loss", "val_auc", "val_loss", "seconds"} <= set(calls[0][2])
    assert len(result.history) == 2
    assert TrainingConfig.from_dict(result.config) == config
    assert result.model.output_shape == (None, 1)
    assert result.data_snapshot["splits"]["train"]["count"] == 256


def test_an_exception_in_progress_aborts_training(small_data: ClassificationData) -> None:
    def cancel(epoch: int, epochs: int, logs: dict[str, float]) -> None:
        raise KeyboardInterrupt("cancelled by an admin")

    with pytest.raises(KeyboardInterrupt):
        train_classifier(
            small_data, TrainingConfig(epochs=3, hyperparameters=TINY), progress=cancel
        )


def test_class_weights_make_both_classes_weigh_the_same() -> None:
    labels = np.array([0, 1, 1, 1], dtype=np.float32)

    weights = _class_weights(labels)

    assert weights[labels == 0].sum() == pytest.approx(weights[labels == 1].sum())
    assert weights.sum() == pytest.approx(len(labels))


def test_augmentation_keeps_shape_and_range_and_follows_its_seed() -> None:
    images = tf.constant(np.random.default_rng(0).random((8, 28, 28, 1)), tf.float32)
    config = TrainingConfig()
    seed = tf.constant([1, 2], tf.int64)

    first = augment_batch(images, seed, config).numpy()

    assert first.shape == (8, 28, 28, 1)
    assert first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, augment_batch(images, seed, config).numpy())
    other = augment_batch(images, tf.constant([1, 3], tf.int64), config).numpy()
    assert not np.allclose(first, other)


def test_the_training_dataset_shows_new_augmentations_each_pass() -> None:
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    dataset = training_dataset(images, np.zeros(4), np.ones(4), TrainingConfig(batch_size=4))

    first, second = (batch[0].numpy() for batch in dataset.take(2))

    assert not np.allclose(np.sort(first, axis=None), np.sort(second, axis=None))


def test_save_and_load_round_trip_gives_the_same_predictions(tmp_path: Path) -> None:
    model = build_chest_xray_classifier(InputSpec(), TINY)
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    path = tmp_path / "models" / "classifier.keras"

    save_model(model, path)
    restored = load_model(path)

    np.testing.assert_allclose(
        restored.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )
    assert [p.name for p in path.parent.iterdir()] == ["classifier.keras"]


def test_save_model_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.keras"):
        save_model(build_chest_xray_classifier(InputSpec(), TINY), tmp_path / "model.h5")


def test_a_missing_model_file_raises_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "absent.keras")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_suffix"])
def test_a_corrupt_model_file_raises_model_load_error(tmp_path: Path, damage: str) -> None:
    good = tmp_path / "good.keras"
    save_model(build_chest_xray_classifier(InputSpec(), TINY), good)
    bad = tmp_path / ("bad.h5" if damage == "wrong_suffix" else "bad.keras")
    content = good.read_bytes()
    bad.write_bytes(b"not a model" if damage == "garbage" else content[: len(content) // 2])
    if damage == "wrong_suffix":
        bad.write_bytes(content)

    with pytest.raises(ModelLoadError) as caught:
        load_model(bad)

    assert str(bad) in caught.value.message


@pytest.mark.slow
def test_default_widths_learn_the_task_in_two_epochs() -> None:
    data = load_pneumoniamnist(PNEUMONIAMNIST)
    keras.backend.clear_session()

    result = train_classifier(data, TrainingConfig(epochs=2))

    assert result.metrics["validation"]["auc"] > 0.9


def test_processing_augmentation_keeps_range_and_changes_the_images() -> None:
    images = tf.constant(np.random.default_rng(0).random((8, 28, 28, 1)), tf.float32)
    plain = TrainingConfig(
        rotation_degrees=0,
        translation=0,
        zoom=0,
        brightness=0,
        contrast=0,
        gamma=0,
        blur=0,
        noise=0,
    )
    seed = tf.constant([1, 2], tf.int64)
    processed = dataclasses.replace(plain, gamma=0.4, blur=0.8, noise=0.05)

    unchanged = augment_batch(images, seed, plain).numpy()
    changed = augment_batch(images, seed, processed).numpy()

    np.testing.assert_allclose(unchanged, images.numpy(), atol=1e-5)
    assert changed.min() >= 0.0 and changed.max() <= 1.0
    assert np.abs(changed - unchanged).mean() > 0.01


def test_blur3_keeps_a_flat_image_and_smooths_a_spike() -> None:
    flat = tf.fill([1, 5, 5, 1], 0.4)
    spike = tf.tensor_scatter_nd_update(tf.zeros([1, 5, 5, 1]), [[0, 2, 2, 0]], [1.0])

    np.testing.assert_allclose(blur3(flat).numpy(), 0.4, atol=1e-6)
    smoothed = blur3(spike).numpy()[0, :, :, 0]
    assert smoothed[2, 2] == pytest.approx(0.25)
    assert smoothed.sum() == pytest.approx(1.0)


def test_mixup_blends_images_and_labels_keeping_each_images_own_label_dominant() -> None:
    images = tf.constant(np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))] * 8), tf.float32)
    labels = tf.constant([0.0, 1.0] * 8)
    weights = tf.constant([3.0, 1.0] * 8)

    mixed, mixed_labels, mixed_weights = mixup(
        images, labels, weights, tf.constant([5, 6], tf.int64), TrainingConfig(mixup_alpha=0.4)
    )

    mixed_labels = mixed_labels.numpy()
    assert np.all(np.abs(mixed_labels - labels.numpy()) <= 0.5)
    assert np.any(np.abs(mixed_labels - labels.numpy()) > 0.01)
    # Image and label blend by the same amount; so do the sample weights.
    np.testing.assert_allclose(mixed.numpy()[:, 0, 0, 0], mixed_labels, atol=1e-6)
    np.testing.assert_allclose(mixed_weights.numpy(), 1.0 + 2.0 * (1.0 - mixed_labels), atol=1e-5)


def test_averaged_weights_swaps_the_moving_average_in_and_back_out() -> None:
    model = build_chest_xray_classifier(InputSpec(), TINY)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.9),
        loss=keras.losses.BinaryCrossentropy(),
    )
    images = np.random.default_rng(0).random((16, 28, 28, 1)).astype(np.float32)
    for _ in range(4):  # (fit would end by copying the averages into the model)
        model.train_on_batch(images, np.arange(16) % 2)
    kernel = model.get_layer(PREDICTION_LAYER).kernel
    trained = np.asarray(kernel).copy()

    with averaged_weights(model):
        averaged = np.asarray(kernel).copy()

    assert not np.allclose(averaged, trained)
    np.testing.assert_array_equal(np.asarray(kernel), trained)


def test_weight_averaging_spans_the_same_epochs_whatever_the_data_size() -> None:
    assert ema_momentum(1.6, 61) == pytest.approx(0.99, abs=0.001)  # the seed data
    assert ema_momentum(1.6, 5) == pytest.approx(0.875)  # 300 images: 8 steps, not 100
    assert ema_momentum(0.0, 61) == 0.0
