"""Train the chest X-ray classifier, pick its threshold and calibration, save and load models.

`train_prepared` is the engine: preprocessed splits (PreparedData) and a TrainingConfig in,
TrainingResult out; it writes nothing to disk except, when given a checkpoint directory, the
checkpoint it resumes from after an interruption. It can also fine-tune a registered model
(initial_model_path). `train_classifier` (PneumoniaMNIST in) = prepare_seed_data +
train_prepared.

GPU: when TensorFlow sees a GPU, training runs under the mixed_float16 policy (float16
compute, float32 master weights; Keras wraps the optimizer in a LossScaleOptimizer) with the
final Dense (networks.PREDICTION_LAYER) in float32 so the sigmoid and the loss stay in full
precision. The returned model is always a plain float32 copy with the same weights, so the
files it is saved to load and run the same on the CPU inference workers (see
ml/core/inference.py for how those use a GPU). On a CPU nothing changes: float32 throughout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

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
    "CHECKPOINT_NAME",
    "ClassifierHyperparameters",
    "ModelLoadError",
    "PreparedData",
    "PreparedSplit",
    "TrainingConfig",
    "TrainingResult",
    "load_model",
    "predict_probabilities",
    "prepare_seed_data",
    "read_checkpoint",
    "save_model",
    "train_classifier",
    "train_prepared",
]

# PneumoniaMNIST images are 8-bit display images: bright = dense, no rescale, no window.
TRAINING_META = PixelMeta(photometric_interpretation="MONOCHROME2")
# The file train_prepared keeps in its checkpoint_dir.
CHECKPOINT_NAME = "checkpoint.npz"


@dataclass(frozen=True)
class PreparedSplit:
    """images: float32 (N, S, S, 1) model inputs in [0, 1]; labels: int64 (N,), 1 = positive."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise ValueError("images and labels differ in length")

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class PreparedData:
    """Preprocessed splits: "train" and "validation" required, "test" optional; `snapshot`
    is the JSON lineage stored with the result (TrainingResult.data_snapshot)."""

    splits: dict[str, PreparedSplit]
    snapshot: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = {"train", "validation"} - set(self.splits)
        if missing:
            raise ValueError(f"PreparedData lacks the {sorted(missing)} split(s)")
        for name in ("train", "validation"):
            labels = self.splits[name].labels
            if len(np.unique(labels)) != 2:
                raise ValueError(f"the {name} split needs images of both classes")


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
    "validation", report "validation" and "test" (see train_prepared)."""
    return train_prepared(prepare_seed_data(data, config.spec), config, progress=progress)


def prepare_seed_data(data: ClassificationData, spec: InputSpec) -> PreparedData:
    """The PneumoniaMNIST splits preprocessed for `spec` (every split `data` has)."""
    splits = {
        name: PreparedSplit(
            images=preprocess_batch(list(split.images), TRAINING_META, spec),
            labels=split.labels.astype(np.int64),
        )
        for name, split in data.splits.items()
    }
    return PreparedData(splits=splits, snapshot=data.snapshot())


def train_prepared(
    data: PreparedData,
    config: TrainingConfig,
    *,
    initial_model_path: Path | None = None,
    checkpoint_dir: Path | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Fit on data.splits["train"]; select the epoch, calibration and threshold on
    "validation"; report metrics on "validation" and "test" (when given).

    - initial_model_path: fine-tune that .keras model (its own architecture, at
      config.fine_tune_learning_rate) instead of training a new one from scratch.
    - checkpoint_dir: after every epoch the state needed to resume is written there
      atomically (CHECKPOINT_NAME); when it already holds a checkpoint of the same config and
      data, training resumes at the epoch after it. A checkpoint of another config or data is
      ignored and overwritten.
    - progress(epoch, epochs, logs) runs after every epoch (and after its checkpoint) with
      float logs: loss, auc, val_auc, val_loss, seconds (this epoch), seconds_left (estimate
      from the mean epoch time); an exception it raises stops training (cancel) and
      propagates.
    """
    started = time.monotonic()
    keras.utils.set_random_seed(config.seed)
    previous_policy = keras.mixed_precision.global_policy()
    if _gpu_available():
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model, config = _initial_model(config, initial_model_path)
        tracker = _fit(model, data, config, initial_model_path, checkpoint_dir, progress)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    model = _float32_copy(model, config, tracker.best_weights)
    seconds = tracker.seconds_before + time.monotonic() - started
    return _finish(model, data, config, tracker, seconds)


def _fit(
    model: keras.Model,
    data: PreparedData,
    config: TrainingConfig,
    initial_model_path: Path | None,
    checkpoint_dir: Path | None,
    progress: Progress | None,
) -> _BestEpoch:
    train = data.splits["train"]
    labels = train.labels.astype(np.float32)
    steps = math.ceil(len(labels) / config.batch_size)
    fine_tune = initial_model_path is not None
    learning_rate = config.fine_tune_learning_rate if fine_tune else config.learning_rate
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.CosineDecay(
                learning_rate, decay_steps=config.epochs * steps, alpha=0.05
            ),
            weight_decay=config.weight_decay,
            use_ema=config.ema_epochs > 0,
            ema_momentum=ema_momentum(config.ema_epochs, steps),
        ),
        loss=keras.losses.BinaryCrossentropy(label_smoothing=config.label_smoothing),
        metrics=[keras.metrics.AUC(name="auc")],
    )
    identity = {
        "config": config.to_dict(),
        "fine_tune": fine_tune,
        "sizes": {name: len(split) for name, split in sorted(data.splits.items())},
    }
    checkpoint = None if checkpoint_dir is None else TrainingCheckpoint(checkpoint_dir, identity)
    validation = data.splits["validation"]
    tracker = _BestEpoch(
        validation.images, validation.labels.astype(np.float32), config, progress, checkpoint
    )
    if checkpoint is not None:
        checkpoint.restore(model, tracker)
    if tracker.finished:
        return tracker
    dataset = training_dataset(
        train.images, labels, _class_weights(labels), config, start_batch=tracker.epoch * steps
    )
    model.fit(
        dataset,
        epochs=config.epochs,
        initial_epoch=tracker.epoch,
        steps_per_epoch=steps,
        callbacks=[tracker],
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0,
    )
    return tracker


def ema_momentum(ema_epochs: float, steps_per_epoch: int) -> float:
    """Per-step momentum of an exponential moving average over about `ema_epochs` epochs
    (0.99 for 1.6 epochs of 61 steps, the seed data's)."""
    return max(0.0, 1.0 - 1.0 / max(1.0, ema_epochs * steps_per_epoch))


def _initial_model(
    config: TrainingConfig, initial_model_path: Path | None
) -> tuple[keras.Model, TrainingConfig]:
    """A new model for `config`, or the model at `initial_model_path` rebuilt under the
    current dtype policy with its weights; then `config` records that model's architecture."""
    if initial_model_path is None:
        return build_chest_xray_classifier(config.spec, config.hyperparameters), config
    parent = load_model(initial_model_path)
    hyperparameters = hyperparameters_of(parent)
    config = dataclasses.replace(config, hyperparameters=hyperparameters)
    model = build_chest_xray_classifier(config.spec, hyperparameters)
    try:
        model.set_weights(parent.get_weights())
    except ValueError as error:
        raise ModelLoadError(
            f"model file {initial_model_path} does not match its inferred architecture: {error}"
        ) from error
    return model, config


def hyperparameters_of(model: keras.Model) -> ClassifierHyperparameters:
    """The ClassifierHyperparameters a networks.build_chest_xray_classifier model was built
    with, read from its layer names. Raises ModelLoadError for any other model."""
    widths: list[int] = []
    convs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and layer.name.startswith("block"):
            block, conv = (int(part) for part in layer.name[5:].split("_conv"))
            if conv == 0:
                widths.append(int(layer.filters))
            if block == 0:
                convs += 1
    dropout = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    if not widths or not convs or len(dropout) != 1:
        raise ModelLoadError(f"model {model.name} is not a chest X-ray classifier")
    return ClassifierHyperparameters(
        widths=tuple(widths), convs_per_block=convs, dropout=float(dropout[0].rate)
    )


def _gpu_available() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def _float32_copy(
    model: keras.Model, config: TrainingConfig, weights: list[np.ndarray]
) -> keras.Model:
    """The trained network in plain float32 with `weights`: a model trained under
    mixed_float16 would otherwise carry that policy into its file and run half precision on
    the CPU inference workers. (Mixed precision keeps float32 master weights, so no
    precision is lost.)"""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        model.set_weights(weights)
        return model
    copy = build_chest_xray_classifier(config.spec, config.hyperparameters)
    copy.set_weights(weights)
    return copy


def _finish(
    model: keras.Model,
    data: PreparedData,
    config: TrainingConfig,
    tracker: _BestEpoch,
    seconds: float,
) -> TrainingResult:
    names = [name for name in ("validation", "test") if name in data.splits]
    y = {name: data.splits[name].labels.astype(np.float32) for name in names}
    raw = {name: predict_probabilities(model, data.splits[name].images) for name in names}
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
        data_snapshot=data.snapshot,
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
    epochs without improvement, writes the checkpoint, then reports progress."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        config: TrainingConfig,
        progress: Progress | None,
        checkpoint: TrainingCheckpoint | None,
    ) -> None:
        super().__init__()
        self.images, self.labels = images, labels
        self.epochs, self.patience = config.epochs, config.early_stopping_patience
        self.progress, self.checkpoint = progress, checkpoint
        # Everything below is the resumable state (TrainingCheckpoint saves and restores it).
        self.epoch = 0  # epochs done
        self.finished = False  # early stopping or the last epoch reached
        self.best_auc, self.best_epoch = -1.0, 0
        self.best_weights: list[np.ndarray] = []
        self.history: list[dict[str, float]] = []
        self.seconds_before = 0.0  # training time spent before a resume
        self.epoch_started = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        with averaged_weights(self.model):
            probabilities = predict_probabilities(self.model, self.images)
            auc = roc_auc(self.labels, probabilities) or 0.0
            if auc > self.best_auc:
                self.best_weights = self.model.get_weights()
        probabilities = np.clip(probabilities, 1e-7, 1 - 1e-7)
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
        self.epoch = epoch + 1
        if auc > self.best_auc:
            self.best_auc, self.best_epoch = auc, epoch + 1
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True
        self.finished = bool(self.model.stop_training) or self.epoch >= self.epochs
        if self.checkpoint is not None:
            self.checkpoint.save(self.model, self)
        if self.progress is not None:
            mean = float(np.mean([item["seconds"] for item in self.history]))
            left = 0.0 if self.finished else mean * (self.epochs - self.epoch)
            self.progress(epoch + 1, self.epochs, {**entry, "seconds_left": left})

    def state(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "finished": self.finished,
            "best_auc": self.best_auc,
            "best_epoch": self.best_epoch,
            "history": self.history,
            "seconds": self.seconds_before + sum(item["seconds"] for item in self.history),
        }

    def load_state(self, state: dict[str, Any], best_weights: list[np.ndarray]) -> None:
        self.epoch, self.finished = int(state["epoch"]), bool(state["finished"])
        self.best_auc, self.best_epoch = float(state["best_auc"]), int(state["best_epoch"])
        self.history = [dict(item) for item in state["history"]]
        self.seconds_before = float(state["seconds"])
        self.best_weights = best_weights


@contextlib.contextmanager
def averaged_weights(model: keras.Model) -> Iterator[None]:
    """Inside: the model's trainable variables hold the optimizer's exponential moving
    average of them (TrainingConfig.ema_epochs); the training values come back after.
    Does nothing when the optimizer keeps no average."""
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    if not getattr(optimizer, "use_ema", False):
        yield
        return
    # Keras keeps the averages in this private list, in the order of _trainable_variables
    # (its own keras.callbacks.SwapEMAWeights reads them the same way).
    variables = optimizer._trainable_variables
    averages = optimizer._model_variables_moving_average
    current = [np.asarray(variable) for variable in variables]
    for variable, average in zip(variables, averages, strict=True):
        variable.assign(average)
    try:
        yield
    finally:
        for variable, value in zip(variables, current, strict=True):
            variable.assign(value)


class TrainingCheckpoint:
    """One file, `directory / CHECKPOINT_NAME`: the model's and the optimizer's variables
    (the optimizer's include its step counter, so the learning-rate schedule and the
    augmentation stream continue where they were), the best weights so far and the
    tracker's state as JSON (epoch, history, best AUC, seconds, plus the config and data
    sizes it belongs to). Written to a temporary name and renamed over the old one, so a
    crash leaves the previous complete checkpoint or the new one, never a partial file."""

    def __init__(self, directory: Path, identity: dict[str, Any]) -> None:
        self.directory, self.identity = Path(directory), identity
        self.path = self.directory / CHECKPOINT_NAME

    def save(self, model: keras.Model, tracker: _BestEpoch) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "state": np.array(json.dumps({"identity": self.identity, **tracker.state()}))
        }
        for prefix, values in (
            ("model", model.get_weights()),
            ("optimizer", [np.asarray(v) for v in model.optimizer.variables]),
            ("best", tracker.best_weights),
        ):
            arrays.update({f"{prefix}_{i:04d}": value for i, value in enumerate(values)})
        partial = self.directory / f".{CHECKPOINT_NAME}.partial"
        with open(partial, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)

    def restore(self, model: keras.Model, tracker: _BestEpoch) -> bool:
        """Load the checkpoint into `model` (compiled), its optimizer and `tracker`; False
        (nothing changed) when there is none or it belongs to another config or data."""
        stored = read_checkpoint(self.directory)
        if stored is None or stored[0]["identity"] != json.loads(json.dumps(self.identity)):
            return False
        state, arrays = stored
        model.optimizer.build(model.trainable_variables)
        model.set_weights(arrays["model"])
        for variable, value in zip(model.optimizer.variables, arrays["optimizer"], strict=True):
            variable.assign(value)
        tracker.load_state(state, arrays["best"])
        return True


def read_checkpoint(directory: Path) -> tuple[dict[str, Any], dict[str, list[np.ndarray]]] | None:
    """(state, {"model": [...], "optimizer": [...], "best": [...]}) of the checkpoint in
    `directory`, or None when there is none or it cannot be read. state["epoch"] is the
    number of epochs it holds."""
    path = Path(directory) / CHECKPOINT_NAME
    try:
        with np.load(path, allow_pickle=False) as npz:
            state = json.loads(str(npz["state"]))
            arrays: dict[str, list[np.ndarray]] = {"model": [], "optimizer": [], "best": []}
            for key in sorted(npz.files):
                prefix = key.rsplit("_", 1)[0]
                if prefix in arrays:
                    arrays[prefix].append(npz[key])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return state, arrays


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
