"""Batched scoring: probabilities, calibrated probabilities and class activation maps from ONE
forward pass of a two-output model wrapped in one tf.function (traced once per instance).

Typical use by a scoring service:

    inference = ChestXrayInference.load(path, spec=spec, calibration=calibration)
    results = score_datasets(datasets, inference=inference, config=ChestXrayConfig())
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pydicom
import tensorflow as tf
from PIL import Image

from ml.core.chest_xray import ChestXrayConfig, NotApplicableImage, PreparedImage
from ml.core.errors import ModelLoadError
from ml.core.networks import CAM_FEATURES_LAYER, PREDICTION_LAYER
from ml.core.spec import Calibration, InputSpec
from ml.core.training import load_model

__all__ = [
    "ChestXrayInference",
    "FrameScore",
    "ModelLoadError",
    "NotApplicableImage",
    "Prediction",
    "PreparedImage",
    "configure_runtime",
    "device_summary",
    "heatmap_png",
    "prepare",
    "score_datasets",
]


@dataclass(frozen=True)
class Prediction:
    """probabilities: (N,) raw model output; calibrated: (N,) after Platt scaling (compare
    these with the stored threshold); heatmaps: (N, S, S) float32 in [0, 1], each scaled so
    its own maximum is 1 (all zeros when nothing in the image pushes towards pneumonia)."""

    probabilities: np.ndarray
    calibrated: np.ndarray
    heatmaps: np.ndarray


@dataclass(frozen=True)
class FrameScore:
    """One scored frame of one dataset (frame_number 1-based)."""

    frame_number: int
    probability: float
    calibrated: float
    heatmap: np.ndarray


class ChestXrayInference:
    """A loaded classifier ready to score preprocessed batches. Not thread-safe to construct
    concurrently; `predict` itself may be called from one thread at a time per instance.

    Raises ModelLoadError when the model does not match `spec` or lacks the layers the class
    activation map needs (networks.CAM_FEATURES_LAYER, networks.PREDICTION_LAYER).
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        spec: InputSpec,
        calibration: Calibration,
        batch_size: int = 64,
    ) -> None:
        expected = (spec.image_size, spec.image_size, spec.channels)
        if tuple(model.input_shape[1:]) != expected:
            raise ModelLoadError(f"model input {model.input_shape[1:]} does not match {expected}")
        try:
            features = model.get_layer(CAM_FEATURES_LAYER).output
            kernel = model.get_layer(PREDICTION_LAYER).kernel
        except ValueError as error:
            raise ModelLoadError(f"model lacks the class activation map layers: {error}") from error
        self.model, self.spec, self.calibration = model, spec, calibration
        self.batch_size = batch_size
        self._two_outputs = keras.Model(model.inputs, [model.outputs[0], features])
        self._kernel = kernel
        signature = [tf.TensorSpec([None, *expected], tf.float32)]
        self._forward = tf.function(self._forward_pass, input_signature=signature)

    @classmethod
    def load(
        cls, path: Path, *, spec: InputSpec, calibration: Calibration, batch_size: int = 64
    ) -> ChestXrayInference:
        """From a .keras file; raises ModelLoadError for a missing, corrupt or unfit file."""
        return cls(load_model(path), spec=spec, calibration=calibration, batch_size=batch_size)

    def _forward_pass(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        probabilities, features = self._two_outputs(images, training=False)
        # CAM: with GAP -> Dense, the logit is the spatial mean of sum_k w_k * feature_k(x, y),
        # so that sum, kept per location, says where the evidence for pneumonia sits.
        cam = tf.nn.relu(tf.einsum("nhwk,k->nhw", features, self._kernel[:, 0]))
        cam = tf.math.divide_no_nan(cam, tf.reduce_max(cam, axis=[1, 2], keepdims=True))
        size = [self.spec.image_size, self.spec.image_size]
        cam = tf.image.resize(cam[..., tf.newaxis], size, method="bilinear")[..., 0]
        return probabilities[:, 0], tf.clip_by_value(cam, 0.0, 1.0)

    def predict(self, batch: np.ndarray) -> Prediction:
        """batch: (N, S, S, 1) preprocessed images (preprocessing.preprocess output).
        Runs in chunks of `batch_size` through the traced function; N may be 0."""
        images = np.asarray(batch, dtype=np.float32)
        expected = (self.spec.image_size, self.spec.image_size, self.spec.channels)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise ValueError(f"expected a batch of shape (N, {expected}), got {images.shape}")
        probabilities, heatmaps = [], []
        for start in range(0, len(images), self.batch_size):
            chunk = tf.constant(images[start : start + self.batch_size])
            probability, heatmap = self._forward(chunk)
            probabilities.append(probability.numpy())
            heatmaps.append(heatmap.numpy())
        raw = np.concatenate(probabilities) if probabilities else np.zeros(0, np.float32)
        maps = np.concatenate(heatmaps) if heatmaps else np.zeros((0, *expected[:2]), np.float32)
        return Prediction(raw, self.calibration.apply(raw), maps)

    def warm_up(self) -> None:
        """Trace the tf.function now (about a second) instead of on the first real request."""
        self.predict(np.zeros((1, self.spec.image_size, self.spec.image_size, 1), np.float32))


def prepare(
    ds: pydicom.Dataset, config: ChestXrayConfig | None = None
) -> list[PreparedImage | NotApplicableImage]:
    """Eligibility + frames + preprocessing for one dataset (see ChestXrayConfig.prepare)."""
    return (config or ChestXrayConfig()).prepare(ds)


def score_datasets(
    datasets: Sequence[pydicom.Dataset],
    *,
    inference: ChestXrayInference,
    config: ChestXrayConfig | None = None,
) -> list[list[FrameScore | NotApplicableImage]]:
    """Prepare every dataset, score all applicable frames in one batched predict, and return
    per dataset (same order) its FrameScores and NotApplicableImages."""
    config = config or ChestXrayConfig(spec=inference.spec)
    if config.spec != inference.spec:
        raise ValueError(f"config spec {config.spec} differs from the model's {inference.spec}")
    prepared = [config.prepare(ds) for ds in datasets]
    images = [item.image for items in prepared for item in items if isinstance(item, PreparedImage)]
    size = inference.spec.image_size
    batch = np.stack(images) if images else np.zeros((0, size, size, 1), np.float32)
    prediction = inference.predict(batch)
    position = 0
    results: list[list[FrameScore | NotApplicableImage]] = []
    for items in prepared:
        scored: list[FrameScore | NotApplicableImage] = []
        for item in items:
            if isinstance(item, NotApplicableImage):
                scored.append(item)
                continue
            scored.append(
                FrameScore(
                    frame_number=item.frame_number,
                    probability=float(prediction.probabilities[position]),
                    calibrated=float(prediction.calibrated[position]),
                    heatmap=prediction.heatmaps[position],
                )
            )
            position += 1
        results.append(scored)
    return results


def heatmap_png(heatmap: np.ndarray) -> bytes:
    """(H, W) values in [0, 1] -> 8-bit grayscale PNG bytes (0 -> black, 1 -> white)."""
    array = np.asarray(heatmap, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"a heatmap is 2D, got shape {array.shape}")
    pixels = np.round(np.clip(np.nan_to_num(array), 0.0, 1.0) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def device_summary() -> str:
    """Which device TensorFlow will use, e.g. "GPU: NVIDIA H100 80GB HBM3" or "CPU only"."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU only"
    names = [
        tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus
    ]
    return "GPU: " + ", ".join(names)


def configure_runtime(
    *,
    intra_op_threads: int | None = None,
    inter_op_threads: int | None = None,
    gpu_memory_growth: bool = True,
) -> None:
    """Call once per process BEFORE any TensorFlow op runs (TensorFlow raises RuntimeError
    afterwards). None keeps TensorFlow's default (all cores). Memory growth stops one worker
    from reserving the whole GPU."""
    if intra_op_threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
    if inter_op_threads is not None:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
    if gpu_memory_growth:
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
