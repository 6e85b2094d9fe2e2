"""Agreement between annotators: per case (for the review queue) and per task (the agreement page).

The labels are gathered here (annotators' labels of labelled/adjudicated cases, and the
adjudicated truth); the statistics are ml.core.agreement's pure functions. A case's "class
answer" is the sorted tuple of the class keys an annotator gave it (one key unless the schema is
multi-label), so kappa compares whole answers; each class also gets its own yes/no Fleiss' kappa.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.contrib.auth import get_user_model

from annotations.models import AnnotationCase, Label, LabelSchema
from ml.core.agreement import (
    Box,
    boxes_match,
    cohen_kappa,
    dice,
    fleiss_kappa,
    mean_or_none,
    rle_decode,
)
from ml.core.tasks import task_get

ClassAnswer = tuple[str, ...]


@dataclass
class CaseRatings:
    """Everything the annotators (and the adjudication, if any) said about one case."""

    case: AnnotationCase
    classes: dict[int, ClassAnswer] = field(default_factory=dict)  # annotator id -> answer
    boxes: dict[int, list[Box]] = field(default_factory=dict)
    masks: dict[int, dict[str, npt.NDArray[np.bool_]]] = field(default_factory=dict)
    truth: ClassAnswer | None = None
    annotators: set[int] = field(default_factory=set)


def case_ratings(cases: Iterable[AnnotationCase]) -> list[CaseRatings]:
    """The ratings of each case, in the order given, from two queries (cases and labels)."""
    by_id = {case.pk: CaseRatings(case=case) for case in cases}
    labels = Label.objects.filter(
        case_id__in=by_id, source__in=[Label.Source.ANNOTATOR, Label.Source.ADJUDICATED]
    ).order_by("pk")
    truth: dict[int, list[str]] = defaultdict(list)
    classes: dict[tuple[int, int], list[str]] = defaultdict(list)
    for label in labels:
        ratings = by_id[label.case_id]  # type: ignore[index]
        if label.source == Label.Source.ADJUDICATED:
            if label.kind == Label.Kind.CLASS:
                truth[ratings.case.pk].append(str(label.value))
            continue
        author = label.author_id
        assert author is not None  # an annotator's label always has its author (constraint)
        ratings.annotators.add(author)
        _add(ratings, classes, author, label)
    for (case_id, author), keys in classes.items():
        by_id[case_id].classes[author] = tuple(sorted(set(keys)))
    for case_id, keys in truth.items():
        by_id[case_id].truth = tuple(sorted(set(keys)))
    return list(by_id.values())


def _add(
    ratings: CaseRatings, classes: dict[tuple[int, int], list[str]], author: int, label: Label
) -> None:
    value: Any = label.value
    if label.kind == Label.Kind.CLASS:
        classes[(ratings.case.pk, author)].append(str(value))
    elif label.kind == Label.Kind.BOX:
        ratings.boxes.setdefault(author, []).append(Box.from_value(value))
    elif label.kind == Label.Kind.MASK:
        try:
            mask = rle_decode(value["rle"], int(value["rows"]), int(value["columns"]))
        except (KeyError, TypeError, ValueError):
            return  # stored before validation covered masks; it cannot be compared
        masks = ratings.masks.setdefault(author, {})
        key = str(value.get("class"))
        masks[key] = masks[key] | mask if key in masks else mask


def majority(answers: Iterable[ClassAnswer]) -> ClassAnswer | None:
    """The class answer more than half of the annotators gave, if one did."""
    votes = Counter(answers)
    total = sum(votes.values())
    if not total:
        return None
    answer, count = votes.most_common(1)[0]
    return answer if count * 2 > total else None


def case_agreement(ratings: CaseRatings) -> dict[str, Any]:
    """How far one case's annotators agree: class votes and majority, the fraction not choosing
    the most common answer, mean pairwise box IoU and mask Dice with the pair counts."""
    answers = list(ratings.classes.values())
    votes = Counter(answers)
    top = votes.most_common(1)[0][1] if votes else 0
    box_figures = _box_pairs(ratings)
    mask_figures = _mask_pairs(ratings)
    return {
        "annotators": len(ratings.annotators),
        "votes": {"+".join(answer): n for answer, n in votes.most_common()},
        "majority": list(m) if (m := majority(answers)) is not None else None,
        "class_disagreement": round(1.0 - top / len(answers), 4) if answers else 0.0,
        "box_iou": _rounded(mean_or_none(box_figures)),
        "box_pairs": len(box_figures),
        "mask_dice": _rounded(mean_or_none(mask_figures)),
        "mask_pairs": len(mask_figures),
    }


def _box_pairs(ratings: CaseRatings, who: int | None = None) -> list[float]:
    """Mean IoU of each pair of annotators who drew boxes on the case (with `who`, only the
    pairs that include them). A pair where only one drew boxes counts (IoU 0): they disagree."""
    figures = []
    for a, b in itertools.combinations(sorted(ratings.annotators), 2):
        if who is not None and who not in (a, b):
            continue
        mean = boxes_match(ratings.boxes.get(a, []), ratings.boxes.get(b, [])).mean_iou
        if mean is not None:
            figures.append(mean)
    return figures


def _mask_pairs(ratings: CaseRatings, who: int | None = None) -> list[float]:
    """Dice of each pair of annotators per mask class either of them painted (a class only one
    painted counts as Dice 0)."""
    figures: list[float] = []
    for a, b in itertools.combinations(sorted(ratings.annotators), 2):
        if who is not None and who not in (a, b):
            continue
        mine, theirs = ratings.masks.get(a, {}), ratings.masks.get(b, {})
        for key in sorted(set(mine) | set(theirs)):
            shape = (mine[key] if key in mine else theirs[key]).shape
            x = mine.get(key, np.zeros(shape, dtype=bool))
            y = theirs.get(key, np.zeros(shape, dtype=bool))
            value = dice(x, y) if x.shape == y.shape else 0.0
            if value is not None:
                figures.append(value)
    return figures


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _kappa_data(a: list[ClassAnswer], b: list[ClassAnswer]) -> dict[str, Any]:
    result = cohen_kappa(a, b)
    return {
        "kappa": _rounded(result.kappa),
        "observed": _rounded(result.observed),
        "cases": result.n,
    }


def task_agreement(*, task: str) -> dict[str, Any]:
    """Agreement over every labelled or adjudicated case of `task`.

    - overall: Fleiss' kappa of the class answers (cases with two or more annotators);
    - classes: each class's yes/no Fleiss' kappa and how often it was chosen;
    - annotators: each one's Cohen's kappa against every annotator they shared cases with and
      against the adjudicated truth, and their mean box IoU and mask Dice against the others;
    - boxes, masks: the task's mean pairwise IoU and Dice.
    Every figure carries the number of cases or pairs behind it. Reads only.
    """
    spec = task_get(task)
    cases = AnnotationCase.objects.filter(
        task=task,
        status__in=[AnnotationCase.Status.LABELLED, AnnotationCase.Status.ADJUDICATED],
    ).order_by("pk")
    ratings = case_ratings(cases)
    rated = [r for r in ratings if len(r.classes) >= 2]
    answers = sorted({a for r in rated for a in r.classes.values()})
    table = [[Counter(r.classes.values())[a] for a in answers] for r in rated]
    overall = fleiss_kappa(table) if table else None
    box_figures = [f for r in ratings for f in _box_pairs(r)]
    mask_figures = [f for r in ratings for f in _mask_pairs(r)]
    return {
        "task": task,
        "cases": len(ratings),
        "overall": {
            "fleiss_kappa": _rounded(overall.kappa) if overall else None,
            "observed": _rounded(overall.observed) if overall else None,
            "expected": _rounded(overall.expected) if overall else None,
            "cases": overall.n if overall else 0,
        },
        "classes": _class_figures(spec.class_keys, rated, _schema_keys(task)),
        "annotators": _annotator_figures(ratings),
        "boxes": {"iou_mean": _rounded(mean_or_none(box_figures)), "pairs": len(box_figures)},
        "masks": {"dice_mean": _rounded(mean_or_none(mask_figures)), "pairs": len(mask_figures)},
    }


def _schema_keys(task: str) -> list[str]:
    schema = LabelSchema.objects.filter(task=task).order_by("-version").first()
    return [str(c["key"]) for c in schema.classes] if schema else []


def _class_figures(
    registry_keys: Iterable[str], rated: list[CaseRatings], schema_keys: list[str]
) -> list[dict[str, Any]]:
    """Each class as a yes/no question: Fleiss' kappa of "chose it" against "did not"."""
    keys = list(dict.fromkeys([*schema_keys, *registry_keys]))
    keys += sorted({k for r in rated for a in r.classes.values() for k in a} - set(keys))
    figures = []
    for key in keys:
        table = [
            [
                sum(key in a for a in r.classes.values()),
                sum(key not in a for a in r.classes.values()),
            ]
            for r in rated
        ]
        result = fleiss_kappa(table) if table else None
        figures.append(
            {
                "class": key,
                "fleiss_kappa": _rounded(result.kappa) if result else None,
                "cases": result.n if result else 0,
                "chosen": sum(row[0] for row in table),
                "ratings": sum(sum(row) for row in table),
            }
        )
    return figures


def _annotator_figures(ratings: list[CaseRatings]) -> list[dict[str, Any]]:
    annotators = sorted({a for r in ratings for a in r.annotators})
    names = dict(get_user_model().objects.filter(pk__in=annotators).values_list("pk", "username"))
    rows = []
    for who in annotators:
        mine = [r for r in ratings if who in r.classes]
        pairs = []
        for other in annotators:
            shared = [r for r in mine if other != who and other in r.classes]
            if shared:
                figures = _kappa_data(
                    [r.classes[who] for r in shared], [r.classes[other] for r in shared]
                )
                pairs.append({"with": names.get(other, str(other)), **figures})
        judged = [r for r in mine if r.truth is not None]
        boxes = [f for r in ratings for f in _box_pairs(r, who)]
        masks = [f for r in ratings for f in _mask_pairs(r, who)]
        rows.append(
            {
                "annotator": names.get(who, str(who)),
                "cases": sum(who in r.annotators for r in ratings),
                "pairs": pairs,
                "truth": _kappa_data(
                    [r.classes[who] for r in judged],
                    [r.truth for r in judged if r.truth is not None],
                ),
                "box_iou": {"mean": _rounded(mean_or_none(boxes)), "pairs": len(boxes)},
                "mask_dice": {"mean": _rounded(mean_or_none(masks)), "pairs": len(masks)},
            }
        )
    return rows
