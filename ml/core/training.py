"""Train the chest X-ray classifier, pick its threshold and calibration, save and load models.

`train_classifier` is the one entry point the training task calls; it is pure (data and config
in, TrainingResult out) and writes nothing to disk.
"""

from __future__ import annotations

import math
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ml.core.augmentation import training_dataset
from ml.core.data import ClassificationData
from ml.core.errors import ModelLoadError
from ml.core.evaluation import choose_threshold, evaluate, fit_calibration, roc_auc
from ml.core.networks import build_chest_xray_classifier
from ml.core.preprocessing import PixelMeta, preprocess_batch
from ml.core.spec import (
    Calibration,
    ClassifierHyperparameters,
    InputSpec,
    Progress,
    TrainingConfig,
)

__all__ = [
    "ClassifierHyperparameters",
    "ModelLoadError",
    "TrainingConfig",
    "TrainingResult",
    "load_model",
    "save_model",
    "train_classifier",
]

# PneumoniaMNIST images are 8-bit display images: bright = dense, no rescale, no window.
TRAINING_META = PixelMeta(photometric_interpretation="MONOCHROME2")


@dataclass
class TrainingResult:
    """A trained model plus everything needed to use and judge it.

    `threshold` applies to CALIBRATED probabilities (p >= threshold means positive);
    `metrics` = {"validation": ..., "test": ...} from evaluation.evaluate on calibrated
    probabilities; `uncalibrated_metrics` the same on raw probabilities (with the threshold
    chosen the same way on them); `history` one dict per epoch; `config` TrainingConfig.to_dict().
    """

    model: keras.Model
    spec: InputSpec
    threshold: float
    calibration: Calibration
    metrics: dict[str, dict[str, Any]]
    history: list[dict[str, float]]
    config: dict[str, Any]
    uncalibrated_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    data_snapshot: dict[str, Any] = field(default_factory=dict)
    best_epoch: int = 0
    training_seconds: float = 0.0
    parameter_count: int = 0


def train_classifier(
    data: ClassificationData, config: TrainingConfig, *, progress: Progress | None = None
) -> TrainingResult:
    """Fit on data.splits["train"], select the epoch, calibration and threshold on
    "validation", report "validation" and "test". progress(epoch, epochs, logs) is called after
    every epoch with float logs (loss, auc, val_loss, val_auc, seconds); an exception it raises
    aborts training (the Django side can use that to cancel a run)."""
    started = time.monotonic()
    keras.utils.set_random_seed(config.seed)
    x: dict[str, np.ndarray] = {}
    y: dict[str, np.ndarray] = {}
    for name in ("train", "validation", "test"):
        split = data.splits[name]
        x[name] = preprocess_batch(list(split.images), TRAINING_META, config.spec)
        y[name] = split.labels.astype(np.float32)
    model = build_chest_xray_classifier(config.spec, config.hyperparameters)
    steps = math.ceil(len(y["train"]) / config.batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.CosineDecay(
                config.learning_rate, decay_steps=config.epochs * steps, alpha=0.05
            ),
            weight_decay=config.weight_decay,
        ),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc")],
    )
    tracker = _BestEpoch(x["validation"], y["validation"], config, progress)
    dataset = training_dataset(x["train"], y["train"], _class_weights(y["train"]), config)
    model.fit(
        dataset,
        epochs=config.epochs,
        steps_per_epoch=steps,
        callbacks=[tracker],
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0,
    )
    model.set_weights(tracker.best_weights)
    return _finish(model, x, y, config, data, tracker, time.monotonic() - started)


def _finish(
    model: keras.Model,
    x: dict[str, np.ndarray],
    y: dict[str, np.ndarray],
    config: TrainingConfig,
    data: ClassificationData,
    tracker: _BestEpoch,
    seconds: float,
) -> TrainingResult:
    raw = {name: predict_probabilities(model, x[name]) for name in ("validation", "test")}
    calibration = fit_calibration(
        y["validation"], raw["validation"], label_smoothing=config.calibration_label_smoothing
    )
    calibrated = {name: calibration.apply(p) for name, p in raw.items()}
    minimum = config.min_sensitivity
    threshold = choose_threshold(y["validation"], calibrated["validation"], min_sensitivity=minimum)
    raw_threshold = choose_threshold(y["validation"], raw["validation"], min_sensitivity=minimum)
    return TrainingResult(
        model=model,
        spec=config.spec,
        threshold=threshold,
        calibration=calibration,
        metrics={name: evaluate(y[name], calibrated[name], threshold) for name in raw},
        history=tracker.history,
        config=config.to_dict(),
        uncalibrated_metrics={name: evaluate(y[name], raw[name], raw_threshold) for name in raw},
        data_snapshot=data.snapshot(),
        best_epoch=tracker.best_epoch,
        training_seconds=seconds,
        parameter_count=int(model.count_params()),
    )


def predict_probabilities(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """(N,) float64 probabilities; one predict call for the whole array (training-time use)."""
    return model.predict(images, batch_size=256, verbose=0).reshape(-1).astype(np.float64)


def _class_weights(labels: np.ndarray) -> np.ndarray:
    """Per-sample weights n / (2 n_class): both classes weigh the same in the loss (the train
    split is ~3 pneumonia : 1 normal)."""
    counts = np.bincount(labels.astype(np.int64), minlength=2).astype(np.float64)
    per_class = len(labels) / (2.0 * np.maximum(counts, 1.0))
    return per_class[labels.astype(np.int64)]


class _BestEpoch(keras.callbacks.Callback):
    """Exact validation AUC after each epoch; keeps the best weights, stops after `patience`
    epochs without improvement, reports progress."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        config: TrainingConfig,
        progress: Progress | None,
    ) -> None:
        super().__init__()
        self.images, self.labels = images, labels
        self.epochs, self.patience, self.progress = (
            config.epochs,
            config.early_stopping_patience,
            progress,
        )
        self.best_auc, self.best_epoch = -1.0, 0
        self.best_weights: list[np.ndarray] = []
        self.history: list[dict[str, float]] = []
        self.epoch_started = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        probabilities = np.clip(predict_probabilities(self.model, self.images), 1e-7, 1 - 1e-7)
        auc = roc_auc(self.labels, probabilities) or 0.0
        loss = -np.mean(
            self.labels * np.log(probabilities) + (1 - self.labels) * np.log(1 - probabilities)
        )
        entry = {key: float(value) for key, value in (logs or {}).items()}
        entry.update(
            epoch=float(epoch + 1),
            val_auc=float(auc),
            val_loss=float(loss),
            seconds=time.monotonic() - self.epoch_started,
        )
        self.history.append(entry)
        if auc > self.best_auc:
            self.best_auc, self.best_epoch = auc, epoch + 1
            self.best_weights = self.model.get_weights()
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True
        if self.progress is not None:
            self.progress(epoch + 1, self.epochs, entry)


def save_model(model: keras.Model, path: Path) -> None:
    """Write `path` (must end in .keras) atomically: a crash never leaves half a file there."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files use the .keras format, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial.keras")
    model.save(partial)
    os.replace(partial, path)


def load_model(path: Path) -> keras.Model:
    """Read a .keras file without its optimizer. Raises ModelLoadError (never a raw Keras
    traceback) when the file is missing, truncated, corrupt or not a model."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file {path} does not exist")
    try:
        model = keras.saving.load_model(path, compile=False)
    except (ValueError, OSError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as error:
        raise ModelLoadError(f"model file {path} could not be loaded: {error}") from error
    if not isinstance(model, keras.Model):
        raise ModelLoadError(f"model file {path} does not hold a Keras model")
    return model
