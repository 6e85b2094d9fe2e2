"""Inter-rater agreement on arrays: Cohen's and Fleiss' kappa, box IoU, mask Dice (NumPy only).

Pure functions, no Django: annotations/services/agreement.py gathers the labels and calls these.
Every figure comes with the count behind it, and a figure that is undefined (0/0: e.g. kappa when
every rating is the same class, so chance agreement is 1) is None, never a made-up 0 or 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Kappa:
    """A kappa with what it is made of: observed and chance agreement, and `n` subjects."""

    kappa: float | None
    observed: float | None
    expected: float | None
    n: int


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 1e-12 else float(numerator / denominator)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> Kappa:
    """Cohen's (1960) kappa of two raters who each gave one category to the same `n` subjects.

    kappa = (p_o - p_e) / (1 - p_e), p_e from each rater's own marginal proportions.
    """
    if len(a) != len(b):
        raise ValueError(f"the raters rated different numbers of subjects: {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        return Kappa(None, None, None, 0)
    categories = sorted(set(a) | set(b), key=repr)
    index = {category: i for i, category in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    table /= n
    observed = float(np.trace(table))
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    return Kappa(_ratio(observed - expected, 1.0 - expected), observed, expected, n)


def fleiss_kappa(counts: npt.ArrayLike) -> Kappa:
    """Fleiss' (1971) kappa from an (N subjects x K categories) table of how many raters chose
    each category for each subject.

    Subjects may have different numbers of raters (each needs at least two): P_i uses that
    subject's own n_i and p_j pools all ratings, which is Fleiss' formula when every n_i is the
    same. Subjects with fewer than two ratings say nothing about agreement and are left out.
    """
    table = _rated_table(counts)
    if table.shape[0] == 0:
        return Kappa(None, None, None, 0)
    raters = table.sum(axis=1)
    per_subject = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    proportions = table.sum(axis=0) / raters.sum()
    observed = float(per_subject.mean())
    expected = float((proportions**2).sum())
    return Kappa(_ratio(observed - expected, 1.0 - expected), observed, expected, table.shape[0])


def _rated_table(counts: npt.ArrayLike) -> npt.NDArray[np.float64]:
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"counts must be subjects x categories, not of shape {table.shape}")
    if (table < 0).any():
        raise ValueError("counts cannot be negative")
    return table[table.sum(axis=1) >= 2]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels: x, y of its top-left corner, its width and height."""

    label: str
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Box:
        """From a box label's value {"class", "x", "y", "width", "height"}."""
        return cls(
            str(value["class"]),
            float(value["x"]),
            float(value["y"]),
            float(value["width"]),
            float(value["height"]),
        )


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not overlap or both are empty)."""
    width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    intersection = max(width, 0.0) * max(height, 0.0)
    union = a.width * a.height + b.width * b.height - intersection
    return 0.0 if union <= 0 else intersection / union


@dataclass(frozen=True)
class BoxMatch:
    """Two raters' boxes paired greedily: `ious` of the matched pairs (same class, overlapping),
    and how many boxes of either rater found no partner."""

    ious: tuple[float, ...]
    unmatched: int

    @property
    def mean_iou(self) -> float | None:
        """Mean over matched pairs and unmatched boxes (an unmatched box counts as IoU 0), so
        a box one rater drew and the other did not lowers the figure. None if neither drew any."""
        total = len(self.ious) + self.unmatched
        return None if total == 0 else float(sum(self.ious) / total)


def boxes_match(a: Sequence[Box], b: Sequence[Box]) -> BoxMatch:
    """Pair rater A's boxes with rater B's of the same class, greedily by highest IoU first
    (each box in at most one pair; pairs with IoU 0 are not matches)."""
    candidates = sorted(
        (
            (box_iou(x, y), i, j)
            for i, x in enumerate(a)
            for j, y in enumerate(b)
            if x.label == y.label
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    ious: list[float] = []
    for iou, i, j in candidates:
        if iou <= 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        ious.append(iou)
    return BoxMatch(tuple(ious), len(a) + len(b) - 2 * len(ious))


def rle_decode(rle: Sequence[int], rows: int, columns: int) -> npt.NDArray[np.bool_]:
    """A (rows x columns) mask from row-major run lengths that start with a run of 0s
    (counts alternate 0s, 1s, 0s, ...; a mask starting with 1 begins with a 0-length run)."""
    counts = np.asarray(rle, dtype=np.int64)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError("run lengths are a flat list of counts, none negative")
    if int(counts.sum()) != rows * columns:
        raise ValueError(
            f"run lengths add up to {int(counts.sum())}, not rows x columns = {rows * columns}"
        )
    values = np.arange(len(counts)) % 2 == 1
    return np.repeat(values, counts).reshape(rows, columns)


def dice(a: npt.ArrayLike, b: npt.ArrayLike) -> float | None:
    """Dice coefficient 2|A and B| / (|A| + |B|) of two same-shaped masks; None if both are
    empty (nothing was drawn, so there is nothing to agree on)."""
    x, y = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if x.shape != y.shape:
        raise ValueError(f"masks of different shapes: {x.shape} and {y.shape}")
    total = int(x.sum()) + int(y.sum())
    return None if total == 0 else 2.0 * int((x & y).sum()) / total


def mean_or_none(values: Sequence[float | None]) -> float | None:
    """The mean of the defined values; None when there are none."""
    defined = [v for v in values if v is not None]
    return None if not defined else float(np.mean(defined))
