"""Render one frame as a consumer image (JPEG or PNG) for WADO-RS rendered and thumbnails.

Grey images go through the modality rescale and a VOI window (asked, stored per frame or for the
image, a VOI LUT, or else the frame's own range); MONOCHROME1 is inverted so that it reads as
film. Colour images are sent as RGB. pydicom decodes the one frame, Pillow scales and encodes.

Bounded: an output side is at most MAX_SIDE pixels (a larger viewport gets the image scaled to
fit MAX_SIDE, which still fits the viewport as PS3.18 asks), a frame of more than
MAX_SOURCE_PIXELS is not decoded at all, and a frame shown smaller is averaged down in its
stored integers before any floating-point copy is made, so memory follows the output size
rather than the source size (figures in bench/README.md, "Rendering bounds").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from django.core.files.storage import default_storage
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_voi_lut, pixel_array

DEFLATED = "1.2.840.10008.1.2.1.99"
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_SIDE = 4096  # pixels per side of a rendered image, whatever the viewport asks
MAX_SOURCE_PIXELS = 100_000_000  # rows x columns x samples of a frame it decodes (10000x10000)
# An absolute path in a decoder's message (not "8/16"): never shown to a client.
PATH = re.compile(r"(?<![\w.])/[^\s'\"]+")


class RenderError(Exception):
    """The frame cannot be decoded or turned into an image; the message says why."""


@dataclass(frozen=True)
class RenderOptions:
    media_type: str = "image/jpeg"
    viewport: tuple[int, int] | None = None  # fit inside, keeping the aspect ratio
    window: tuple[float, float] | None = None  # centre, width: overrides the stored window
    quality: int = 90


def frame_render(file_name: str, *, frame: int, options: RenderOptions) -> bytes:
    """Frame `frame` (1-based) of the stored file as encoded image bytes. Raises RenderError,
    whose message never holds a server path."""
    try:
        ds, pixels = _decode(file_name, frame - 1)
    except RenderError:
        raise
    except OSError as exc:
        raise RenderError("The stored file cannot be read") from exc
    except Exception as exc:  # any decoder failure means the same to a viewer
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = PATH.sub("<file>", lines[-1]) if lines else type(exc).__name__
        raise RenderError(f"The pixel data cannot be decoded: {reason[:300]}") from exc
    rows, columns = pixels.shape[:2]
    size = output_size((columns, rows), options.viewport)
    # The whole frame's range, so an image shown small is stretched as it would be shown whole.
    stored_range = (float(pixels.min()), float(pixels.max()))
    pixels = _reduce(pixels, min(columns // size[0], rows // size[1]))
    image = Image.fromarray(_display_values(ds, pixels, frame - 1, options.window, stored_range))
    del pixels
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if options.media_type == "image/png":
        image.save(out, format="PNG")
    else:
        image.save(out, format="JPEG", quality=options.quality)
    return out.getvalue()


def output_size(source: tuple[int, int], viewport: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) of the rendered image: fit inside the viewport keeping the aspect ratio,
    and inside MAX_SIDE x MAX_SIDE whether or not a viewport was asked."""
    width, height = source
    scale = min(viewport[0] / width, viewport[1] / height) if viewport else 1.0
    scale = min(scale, MAX_SIDE / width, MAX_SIDE / height)
    return max(1, min(MAX_SIDE, round(width * scale))), max(1, min(MAX_SIDE, round(height * scale)))


def _reduce(pixels: np.ndarray, factor: int) -> np.ndarray:
    """Average `factor` x `factor` blocks, keeping the stored integer type (LUTs index by it).

    Only whole blocks are kept: at most factor - 1 edge rows and columns are dropped, less than
    one output pixel.
    """
    if factor < 2:
        return pixels
    rows, columns = (pixels.shape[0] // factor) * factor, (pixels.shape[1] // factor) * factor
    blocks = pixels[:rows, :columns].reshape(
        rows // factor, factor, columns // factor, factor, *pixels.shape[2:]
    )
    mean = blocks.mean(axis=(1, 3), dtype=np.float32)
    if np.issubdtype(pixels.dtype, np.integer):
        return np.rint(mean).astype(pixels.dtype)
    return mean.astype(pixels.dtype)


def _decode(file_name: str, index: int) -> tuple[Dataset, np.ndarray]:
    with default_storage.open(file_name, "rb") as fp:
        ds = pydicom.dcmread(fp, stop_before_pixels=True)
        _check_source_size(ds)
        if ds.file_meta.get("TransferSyntaxUID") == DEFLATED:
            fp.seek(0)
            full = pydicom.dcmread(fp)
            frames = full.pixel_array
            return full, frames[index] if int(full.get("NumberOfFrames", 1) or 1) > 1 else frames
        fp.seek(0)
        return ds, pixel_array(fp, index=index)  # type: ignore[arg-type]


def _check_source_size(ds: Dataset) -> None:
    """Refuse before decoding a frame too large to render (a few KB of JPEG 2000 can hold one)."""
    rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    pixels = rows * columns * int(ds.get("SamplesPerPixel", 1) or 1)
    if pixels > MAX_SOURCE_PIXELS:
        raise RenderError(
            f"The image is too large to render ({columns}x{rows}, more than "
            f"{MAX_SOURCE_PIXELS:,} pixels); retrieve its frames instead"
        )


def _display_values(
    ds: Dataset,
    pixels: np.ndarray,
    index: int,
    window: tuple[float, float] | None,
    stored_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """8-bit grey (rows, columns) or RGB (rows, columns, 3) values ready to encode.

    `stored_range` is the stored values' range over the whole frame, when `pixels` is reduced.
    """
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR":
        return _to_uint8(apply_color_lut(pixels, ds))
    if pixels.ndim == 3:
        return _to_uint8(pixels)
    slope, intercept = _rescale(ds, index)
    values = pixels.astype(np.float32)
    values *= slope
    values += intercept
    window = window or _stored_window(ds, index)
    if window is not None:
        grey = _linear_window(values, *window)
    elif "VOILUTSequence" in ds:
        grey = _stretch(apply_voi_lut(pixels, ds).astype(np.float32))
    else:
        ends = (
            None
            if stored_range is None
            else sorted(value * slope + intercept for value in stored_range)
        )
        grey = _stretch(values, (ends[0], ends[1]) if ends else None)
    if photometric == "MONOCHROME1":
        np.subtract(255.0, grey, out=grey)
    return np.rint(grey, out=grey).astype(np.uint8)


def _frame_attribute(ds: Dataset, index: int, sequence: str, name: str) -> Any:
    """An attribute of a functional group macro: per frame first, then shared, then top level."""
    for groups, item in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        items = ds.get(groups) or []
        if len(items) > item and sequence in items[item] and items[item][sequence].value:
            value = items[item][sequence][0].get(name)
            if value is not None:
                return value
    return ds.get(name)


def _first(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue | list | tuple):
        value = value[0] if len(value) else None
    return float(value) if value is not None else None


def _rescale(ds: Dataset, index: int) -> tuple[float, float]:
    slope = _first(_frame_attribute(ds, index, "PixelValueTransformationSequence", "RescaleSlope"))
    intercept = _first(
        _frame_attribute(ds, index, "PixelValueTransformationSequence", "RescaleIntercept")
    )
    return (slope if slope else 1.0), (intercept or 0.0)


def _stored_window(ds: Dataset, index: int) -> tuple[float, float] | None:
    center = _first(_frame_attribute(ds, index, "FrameVOILUTSequence", "WindowCenter"))
    width = _first(_frame_attribute(ds, index, "FrameVOILUTSequence", "WindowWidth"))
    if center is None or not width or width < 1:
        return None
    return center, width


def _linear_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, the LINEAR function, onto 0..255 (in place: `values` is a copy)."""
    low = center - 0.5 - (width - 1) / 2
    span = max(width - 1, 1e-6)
    values -= low
    values /= span
    np.clip(values, 0.0, 1.0, out=values)
    values *= 255.0
    return values


def _stretch(values: np.ndarray, ends: tuple[float, float] | None = None) -> np.ndarray:
    """`ends` (by default the range of `values`) onto 0..255 (in place: `values` is a copy)."""
    low, high = ends or (float(values.min()), float(values.max()))
    if high <= low:
        return np.zeros_like(values)
    values -= low
    values *= 255.0 / (high - low)
    return values


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb
    high = float(rgb.max()) or 1.0
    scale = 255.0 / (65535.0 if high > 255 else 255.0)
    return np.round(rgb.astype(np.float64) * scale).astype(np.uint8)
