"""Loaded models in a worker process: weights fetched from storage once, kept per version.

Up to two versions stay loaded (the active one and a candidate scoring in its shadow), the
least recently used one making room for a third, so shadow scoring does not reload weights for
every study.

Workers on many machines share the storage; each keeps a local copy of the weights (Keras loads
from a path) under ML_MODEL_CACHE_DIR, named by hash so a changed file is never mistaken.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import default_storage

from ml.models import ModelVersion

if TYPE_CHECKING:
    from ml.core.inference import ChestXrayInference

logger = logging.getLogger(__name__)

# Two: the active version and a shadow candidate (a small classifier is a few MB in memory).
MAX_LOADED = 2
_loaded: OrderedDict[tuple[int, str], ChestXrayInference] = OrderedDict()
_lock = threading.Lock()
# A loaded model predicts for one thread at a time (worker pools may run tasks in threads).
_predict_lock = threading.Lock()


def predicting() -> threading.Lock:
    """Hold this around `inference.predict`."""
    return _predict_lock


class WeightsUnavailable(Exception):
    """The weights could not be read or loaded; the message says why, for admins."""


def inference_for(version: ModelVersion) -> ChestXrayInference:
    """The version's inference object, loading it on first use in this process.

    Raises WeightsUnavailable for a missing, altered or unloadable weights file.
    """
    key = (version.pk, version.weights_sha256)
    with _lock:
        if key in _loaded:
            _loaded.move_to_end(key)
        else:
            while len(_loaded) >= MAX_LOADED:
                _loaded.popitem(last=False)  # the least recently used version
            _loaded[key] = _load(version)
        return _loaded[key]


def _load(version: ModelVersion) -> ChestXrayInference:
    from ml.core.inference import ChestXrayInference, ModelLoadError
    from ml.core.spec import Calibration, InputSpec

    _runtime_configure()

    path = _local_copy(version)
    try:
        inference = ChestXrayInference.load(
            path,
            spec=InputSpec.from_dict(version.input_spec),
            calibration=Calibration.from_dict(version.calibration),
        )
    except ModelLoadError as exc:
        path.unlink(missing_ok=True)
        raise WeightsUnavailable(f"{version.label}: {exc}") from exc
    inference.warm_up()
    logger.info("model_loaded model_version=%s device=%r", version.label, _device)
    return inference


_device = ""


def _runtime_configure() -> None:
    """Once per process, before TensorFlow's first op: GPU memory grows on demand (several
    workers can share a GPU), and the device in use is noted for the logs."""
    global _device
    if _device:
        return
    from ml.core.inference import configure_runtime, device_summary

    try:
        configure_runtime(gpu_memory_growth=True)
    except RuntimeError:
        logger.warning("tensorflow_already_initialised: GPU memory growth not set")
    _device = device_summary()


def _local_copy(version: ModelVersion) -> Path:
    cache = Path(settings.ML_MODEL_CACHE_DIR)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{version.weights_sha256}.keras"
    if path.exists():
        return path
    digest = hashlib.sha256()
    partial = path.with_suffix(".partial")
    try:
        with default_storage.open(version.weights.name, "rb") as src, open(partial, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise WeightsUnavailable(f"{version.label}: weights file unreadable ({exc})") from exc
    if digest.hexdigest() != version.weights_sha256:
        partial.unlink(missing_ok=True)
        raise WeightsUnavailable(
            f"{version.label}: weights file does not match its registered hash"
        )
    partial.rename(path)
    return path
