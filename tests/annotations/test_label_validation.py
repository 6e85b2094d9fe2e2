"""annotations.validation on plain data: the edges of boxes and masks, and what is not a number."""

from __future__ import annotations

import math

import pytest

from annotations.validation import box_value_errors, class_value_errors, mask_value_errors

WHERE = "task t in label schema version 1"


def box(**overrides):
    return {"class": "region", "x": 0, "y": 0, "width": 10, "height": 20, **overrides}


def check_box(value, rows=20, columns=10):
    return box_value_errors(value=value, keys=["region"], rows=rows, columns=columns, where=WHERE)


def test_a_box_may_touch_every_edge_of_the_image():
    assert check_box(box()) == {}
    assert check_box(box(x=2.5, width=7.5, y=19, height=1)) == {}


@pytest.mark.parametrize(
    "overrides",
    [
        {"x": 0.5},  # x + width = 10.5 > 10 columns
        {"y": -0.1, "height": 1},
        {"width": math.inf},
        {"x": math.nan},
        {"height": True},  # JSON true is not a number
        {"width": "10"},
        {"width": -3},
    ],
)
def test_a_box_not_within_the_image_or_not_numeric_is_refused(overrides):
    assert list(check_box(box(**overrides))) == ["value"]


def test_a_box_with_missing_or_extra_fields_is_refused_naming_the_fields():
    value = box()
    del value["height"]
    assert check_box(value) == {
        "value": "A box is an object with exactly class, x, y, width, height."
    }
    assert list(check_box({**box(), "label": "x"})) == ["value"]


def check_mask(rle, rows=2, columns=3, **overrides):
    value = {"class": "region", "rows": rows, "columns": columns, "rle": rle, **overrides}
    return mask_value_errors(value=value, keys=["region"], rows=2, columns=3, where=WHERE)


@pytest.mark.parametrize("rle", [[6], [0, 6], [1, 2, 3], [0, 1, 1, 1, 1, 1, 1]])
def test_run_lengths_covering_the_image_exactly_are_a_mask(rle):
    assert check_mask(rle) == {}


@pytest.mark.parametrize(
    ("rle", "overrides", "phrase"),
    [
        ([5], {}, "add up to 5 pixels; the image has 2 x 3 = 6"),
        ([7], {}, "add up to 7 pixels"),
        ([3, 1.5, 1.5], {}, "whole numbers of 0 or more"),
        ([0] * 7 + [6], {}, "at most one per pixel"),
        ([6], {"rows": 3, "columns": 2}, "it must be the image's size, 2 rows by 3 columns"),
        ([6], {"rows": "2"}, "it must be the image's size"),
        ("6", {}, "must be a list of run lengths"),
        ([6], {"class": "lung"}, "'lung' is not a mask class of task t"),
    ],
)
def test_a_mask_of_the_wrong_size_or_runs_is_refused(rle, overrides, phrase):
    errors = check_mask(rle, **overrides)
    assert phrase in errors["value"]


def test_a_class_must_be_a_key_of_the_version():
    assert class_value_errors(value="a", keys=["a", "b"], where=WHERE) == {}
    assert class_value_errors(value=["a"], keys=["a", "b"], where=WHERE) == {
        "value": "['a'] is not a class of task t in label schema version 1 (its classes: a, b)"
    }
