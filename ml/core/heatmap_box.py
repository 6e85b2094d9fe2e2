"""A box around the hot region of class activation maps, in the image's own pixels.

The annotator's pre-annotation (issue 11, section 4) is a box the model suggests: the region its
class activation map says holds the evidence for the positive class. Pool scoring computes the
maps at the last conv layer's grid (7 x 7 for a 28-pixel input) and this module turns each into a
box on the stored image, so the workspace can draw it without knowing how preprocessing cropped
and resized (preprocessing.centre_square: the model sees the central square of the image).

Rule: cells at or above `fraction` of the map's maximum are hot; of the 8-connected hot regions
the one with the most activation (summed over its cells) wins, and its cells' bounding box is
scaled from the grid to the central square and clipped to the image. A map with nothing to point
at (all zero, or the same value everywhere) gives None. Vectorised over the batch: connected
regions are found by propagating the largest cell index through hot neighbours, so a batch of
thousands of maps costs a few NumPy passes, not a Python loop per cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.core.preprocessing import centre_square

HOT_FRACTION = 0.5
# A map whose spread is below this share of its maximum is flat: there is no region to box.
FLAT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Box:
    """Pixels of the stored image: x is the column, y the row of the top-left corner."""

    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict[str, int]:
        """The JSON shape of a box label's geometry (the case's pre_annotation.box)."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


def hot_box(
    activation_map: np.ndarray, *, rows: int, columns: int, fraction: float = HOT_FRACTION
) -> Box | None:
    """The box of one (h, w) map on a rows x columns image (see hot_boxes)."""
    return hot_boxes(
        np.asarray(activation_map)[np.newaxis], rows=[rows], columns=[columns], fraction=fraction
    )[0]


def hot_boxes(
    activation_maps: np.ndarray,
    *,
    rows: list[int] | np.ndarray,
    columns: list[int] | np.ndarray,
    fraction: float = HOT_FRACTION,
) -> list[Box | None]:
    """Per map i of (N, h, w), the hot region's box on an image of rows[i] x columns[i] pixels,
    or None when the map is flat or not finite. Raises ValueError for a fraction outside (0, 1]
    or sizes that do not match the maps."""
    maps = np.asarray(activation_maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"expected maps of shape (N, h, w), got {maps.shape}")
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be in (0, 1]")
    n, height, width = maps.shape
    if len(rows) != n or len(columns) != n:
        raise ValueError("one rows and one columns value per map")
    if n == 0:
        return []
    finite = np.asarray(np.isfinite(maps).all(axis=(1, 2)), dtype=bool)
    maps = np.where(finite[:, None, None], maps, 0.0)
    peak, low = maps.max(axis=(1, 2)), maps.min(axis=(1, 2))
    usable = finite & (peak > 0) & (peak - low > FLAT_TOLERANCE * np.abs(peak))
    hot = (maps >= fraction * peak[:, None, None]) & usable[:, None, None]
    chosen = _strongest_region(hot, np.maximum(maps, 0.0))
    boxes: list[Box | None] = []
    for i in range(n):
        if not usable[i]:
            boxes.append(None)
            continue
        cells_rows = np.flatnonzero(chosen[i].any(axis=1))
        cells_columns = np.flatnonzero(chosen[i].any(axis=0))
        boxes.append(
            _on_image(
                (int(cells_rows[0]), int(cells_rows[-1]) + 1),
                (int(cells_columns[0]), int(cells_columns[-1]) + 1),
                grid=(height, width),
                image=(int(rows[i]), int(columns[i])),
            )
        )
    return boxes


def _strongest_region(hot: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N, h, w) bool: per map, the 8-connected hot region with the largest summed weight.

    Each hot cell starts labelled with its own flat index + 1; each step it takes the largest
    label among itself and its hot neighbours, until nothing changes (at most h * w steps; a
    handful for real maps). Labels are unique across the batch, so one bincount sums them all.
    """
    n, height, width = hot.shape
    labels = np.where(hot, np.arange(1, hot.size + 1).reshape(hot.shape), 0)
    while True:
        padded = np.pad(labels, ((0, 0), (1, 1), (1, 1)))
        spread = labels.copy()
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                np.maximum(spread, padded[:, dy : dy + height, dx : dx + width], out=spread)
        spread = np.where(hot, spread, 0)
        if np.array_equal(spread, labels):
            break
        labels = spread
    mass = np.bincount(labels.ravel(), weights=weights.ravel(), minlength=hot.size + 1)
    mass[0] = -1.0  # label 0 is "not hot"
    per_map = mass[1:].reshape(n, height * width)  # label k + 1 lives in map k // (h * w)
    best = per_map.argmax(axis=1) + 1 + np.arange(n) * height * width
    return labels == best[:, None, None]


def _on_image(
    cell_rows: tuple[int, int],
    cell_columns: tuple[int, int],
    *,
    grid: tuple[int, int],
    image: tuple[int, int],
) -> Box:
    """Grid cells [r0, r1) x [c0, c1) -> pixels of the image's central square (what the model
    saw, resized to its input), widened outwards to whole pixels and clipped to the image."""
    rows, columns = image
    top, left, side = centre_square(rows, columns)
    y0 = max(0, top + math.floor(cell_rows[0] * side / grid[0]))
    y1 = min(rows, top + math.ceil(cell_rows[1] * side / grid[0]))
    x0 = max(0, left + math.floor(cell_columns[0] * side / grid[1]))
    x1 = min(columns, left + math.ceil(cell_columns[1] * side / grid[1]))
    return Box(x=x0, y=y0, width=max(1, x1 - x0), height=max(1, y1 - y0))
