"""The one preprocessing path from stored pixels to model input, shared by training and inference.

Order (each step documented where it happens): modality rescale -> VOI window -> MONOCHROME1
inversion -> centre crop to a square -> area resize to the spec size -> per-image robust
normalisation to [0, 1]. Resizing comes BEFORE normalisation so that a large DICOM and the
28-pixel training image of the same picture get the same percentiles, hence nearly the same
input. The result is float32 (image_size, image_size, 1).

Not handled (documented limits): VOI LUT Sequence tables (only the window attributes are used),
per-frame functional groups (only shared ones), Presentation LUT Shape (DX requires INVERSE with
MONOCHROME1, which means the same as MONOCHROME1 alone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from PIL import Image
from pydicom.multival import MultiValue

from ml.core.spec import InputSpec

MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
VOI_LUT_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
PIXEL_DATA_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
# Robust stretch: ignores the few brightest/darkest pixels (labels, burned-in markers, dead
# detector pixels), which would otherwise squash the lung contrast.
LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5
# What pydicom and its decoder plugins raise for pixel data they cannot turn into an array.
DECODE_ERRORS = (
    ValueError,
    RuntimeError,
    AttributeError,
    NotImplementedError,
    TypeError,
    KeyError,
    IndexError,
    OSError,
    EOFError,
)


class NotApplicable(Exception):
    """The image cannot be scored; `reason` is a human-readable sentence for the worklist."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PixelMeta:
    """The DICOM attributes that change how stored values map to what a reader sees."""

    photometric_interpretation: str
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    window_center: float | None = None
    window_width: float | None = None
    voi_lut_function: str = "LINEAR"

    @classmethod
    def from_dataset(cls, ds: pydicom.Dataset) -> PixelMeta:
        """Read top-level attributes, falling back to the shared functional groups that
        enhanced multi-frame objects use. Multi-valued windows: the first one (the default
        the modality suggests). Unparseable values count as absent."""
        slope = _number(ds, "RescaleSlope", "PixelValueTransformationSequence")
        intercept = _number(ds, "RescaleIntercept", "PixelValueTransformationSequence")
        function = _attribute(ds, "VOILUTFunction", "FrameVOILUTSequence")
        return cls(
            photometric_interpretation=str(ds.get("PhotometricInterpretation", "")).strip(),
            rescale_slope=1.0 if slope is None else slope,
            rescale_intercept=0.0 if intercept is None else intercept,
            window_center=_number(ds, "WindowCenter", "FrameVOILUTSequence"),
            window_width=_number(ds, "WindowWidth", "FrameVOILUTSequence"),
            voi_lut_function=str(function or "LINEAR").strip().upper(),
        )


def _attribute(ds: pydicom.Dataset, keyword: str, functional_group: str) -> Any:
    if keyword in ds:
        return ds.get(keyword)
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared and functional_group in shared[0] and shared[0][functional_group].value:
        return shared[0][functional_group].value[0].get(keyword)
    return None


def _number(ds: pydicom.Dataset, keyword: str, functional_group: str) -> float | None:
    value = _attribute(ds, keyword, functional_group)
    if isinstance(value, MultiValue | list | tuple):
        value = value[0] if len(value) else None
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None


def frames_from_dataset(ds: pydicom.Dataset) -> list[np.ndarray]:
    """The stored 2D frames of a dataset, one array per frame (raw values, no rescale).

    Raises NotApplicable for missing or undecodable pixel data, photometric interpretations
    other than MONOCHROME1/2, more than one sample per pixel, and anything not 2D per frame.
    """
    if not any(keyword in ds for keyword in PIXEL_DATA_KEYWORDS):
        raise NotApplicable("no pixel data")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if photometric not in MONOCHROME:
        raise NotApplicable(
            f"photometric interpretation {photometric or '(missing)'} is not supported"
        )
    if ds.get("SamplesPerPixel", 1) not in (1, None):
        raise NotApplicable("only single-sample (grayscale) pixels are supported")
    try:
        pixels = np.asarray(ds.pixel_array)
    except DECODE_ERRORS as error:
        raise NotApplicable("pixel data could not be decoded") from error
    if pixels.ndim == 2:
        frames = [pixels]
    elif pixels.ndim == 3:  # (frames, rows, columns) once colour has been refused
        frames = list(pixels)
    else:
        raise NotApplicable("pixel data is not a 2D image")
    if not frames or frames[0].size == 0:
        raise NotApplicable("image is empty")
    return frames


def preprocess(pixels: np.ndarray, meta: PixelMeta, spec: InputSpec) -> np.ndarray:
    """One frame of stored values -> float32 (image_size, image_size, 1) in [0, 1].

    Raises NotApplicable for non-2D, empty, non-finite or constant images.
    """
    array = np.asarray(pixels)
    if array.ndim != 2:
        raise NotApplicable("pixel data is not a 2D image")
    if array.size == 0:
        raise NotApplicable("image is empty")
    image = _resize(_centre_square(_displayed_values(array, meta)), spec.image_size)
    return _normalise(image[np.newaxis])[0, ..., np.newaxis]


def preprocess_batch(images: Sequence[np.ndarray], meta: PixelMeta, spec: InputSpec) -> np.ndarray:
    """Many frames sharing one PixelMeta -> float32 (N, image_size, image_size, 1).

    Same steps and same functions as `preprocess`, vectorised over the batch when all images
    already have the spec size (the training data), so the results are identical per image.
    """
    if len(images) == 0:
        return np.zeros((0, spec.image_size, spec.image_size, spec.channels), np.float32)
    shapes = {np.shape(image) for image in images}
    if shapes != {(spec.image_size, spec.image_size)}:
        return np.stack([preprocess(image, meta, spec) for image in images])
    stack = _displayed_values(np.stack([np.asarray(image) for image in images]), meta)
    try:
        return _normalise(stack)[..., np.newaxis]
    except NotApplicable as error:
        raise NotApplicable(f"a batch image: {error.reason}") from error


def _displayed_values(stored: np.ndarray, meta: PixelMeta) -> np.ndarray:
    """Modality rescale, VOI window, MONOCHROME1 inversion: values a reader would see as
    brightness (larger = brighter), float64, elementwise so it works on any shape."""
    photometric = meta.photometric_interpretation.strip().upper()
    if photometric not in MONOCHROME:
        raise NotApplicable(f"photometric interpretation {photometric} is not supported")
    values = stored.astype(np.float64) * meta.rescale_slope + meta.rescale_intercept
    if not np.isfinite(values).all():
        raise NotApplicable("image has non-finite pixel values")
    values = apply_window(values, meta)
    # MONOCHROME1: low values are displayed white. Negating is enough because the per-image
    # normalisation that follows removes any offset.
    return -values if photometric == "MONOCHROME1" else values


def apply_window(values: np.ndarray, meta: PixelMeta) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2 VOI window to [0, 1]; values unchanged when there is no valid
    window (LINEAR needs width >= 1, the others width > 0). Unknown functions mean LINEAR."""
    center, width = meta.window_center, meta.window_width
    function = meta.voi_lut_function if meta.voi_lut_function in VOI_LUT_FUNCTIONS else "LINEAR"
    if center is None or width is None or width <= 0 or (function == "LINEAR" and width < 1):
        return values
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    if width == 1:  # the LINEAR formula divides by (width - 1): a width of 1 is a threshold
        return (values > center - 0.5).astype(np.float64)
    return np.clip((values - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def centre_square(rows: int, columns: int) -> tuple[int, int, int]:
    """(top, left, side) of the central square the model sees of a rows x columns image.

    The viewer places heatmaps on these pixels.
    """
    side = min(rows, columns)
    return (rows - side) // 2, (columns - side) // 2, side


def _centre_square(image: np.ndarray) -> np.ndarray:
    """Central square crop, as MedMNIST did before resizing, so anatomy keeps its aspect."""
    top, left, side = centre_square(*image.shape[-2:])
    return image[..., top : top + side, left : left + side]


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    """Area average when shrinking (antialiased: every source pixel counts), bilinear when
    growing; no-op at the target size."""
    if image.shape == (size, size):
        return image
    shrinking = image.shape[0] > size
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    resized = Image.fromarray(image.astype(np.float32)).resize((size, size), method)
    return np.asarray(resized, dtype=np.float64)


def _normalise(images: np.ndarray) -> np.ndarray:
    """(N, H, W) -> float32 in [0, 1]: percentile stretch per image, min/max when the
    percentiles coincide (mostly flat images with a few outliers).

    Raises NotApplicable when any image is constant.
    """
    low, high = np.percentile(images, [LOW_PERCENTILE, HIGH_PERCENTILE], axis=(-2, -1))
    minimum, maximum = images.min(axis=(-2, -1)), images.max(axis=(-2, -1))
    scale = np.maximum(1.0, np.maximum(np.abs(minimum), np.abs(maximum)))
    # Relative tolerance: resampling a constant image leaves float32 rounding noise behind.
    if np.any(maximum - minimum <= 1e-6 * scale):
        raise NotApplicable("image has constant pixel values")
    flat = high - low <= 1e-6 * scale
    low, high = np.where(flat, minimum, low), np.where(flat, maximum, high)
    stretched = (images - low[:, None, None]) / (high - low)[:, None, None]
    return np.clip(stretched, 0.0, 1.0).astype(np.float32)
