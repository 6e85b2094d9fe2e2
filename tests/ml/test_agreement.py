"""Agreement statistics (ml.core.agreement) against answers worked out in the literature."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ml.core.agreement import (
    Box,
    box_iou,
    boxes_match,
    cohen_kappa,
    dice,
    fleiss_kappa,
    rle_decode,
)

# Fleiss (1971), as worked through on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters
# each, 5 categories; P-bar 0.378, P-bar-e 0.213, kappa 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_gives_the_worked_example_0_210():
    result = fleiss_kappa(FLEISS_TABLE)

    assert result.kappa == pytest.approx(0.210, abs=5e-4)
    assert result.observed == pytest.approx(0.378, abs=5e-4)
    assert result.expected == pytest.approx(0.213, abs=5e-4)
    assert result.n == 10


def test_fleiss_kappa_with_two_raters_is_scotts_pi():
    # Two raters, 2 categories: 6 agree on A, 2 agree on B, 2 disagree. p_o = 0.8;
    # pooled proportions A 14/20, B 6/20, p_e = 0.49 + 0.09 = 0.58; pi = 0.22 / 0.42.
    table = [[2, 0]] * 6 + [[0, 2]] * 2 + [[1, 1]] * 2

    assert fleiss_kappa(table).kappa == pytest.approx(0.22 / 0.42)


def test_subjects_with_fewer_than_two_ratings_are_left_out():
    assert fleiss_kappa([*FLEISS_TABLE, [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]).n == 10


def test_kappa_is_undefined_not_perfect_when_everyone_always_says_the_same():
    assert fleiss_kappa([[3, 0], [3, 0]]).kappa is None
    assert cohen_kappa(["a", "a"], ["a", "a"]).kappa is None


def test_cohen_kappa_gives_the_textbook_example_0_4():
    # 50 grant proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15 (Wikipedia,
    # "Cohen's kappa"): p_o 0.7, p_e 0.5, kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15

    result = cohen_kappa(a, b)

    assert (result.kappa, result.observed, result.expected, result.n) == (
        pytest.approx(0.4),
        pytest.approx(0.7),
        pytest.approx(0.5),
        50,
    )


def test_cohen_kappa_refuses_raters_of_different_lengths():
    with pytest.raises(ValueError, match="different numbers"):
        cohen_kappa(["a"], ["a", "b"])


def test_box_iou_of_overlapping_disjoint_and_identical_boxes():
    a = Box("x", 0, 0, 2, 2)

    assert box_iou(a, Box("x", 1, 1, 2, 2)) == pytest.approx(1 / 7)
    assert box_iou(a, Box("x", 5, 5, 1, 1)) == 0.0
    assert box_iou(a, a) == 1.0


def test_boxes_are_matched_greedily_within_a_class_and_misses_count_as_zero():
    a = [Box("x", 0, 0, 10, 10), Box("y", 50, 50, 10, 10), Box("x", 20, 0, 10, 10)]
    b = [Box("x", 0, 0, 10, 5), Box("x", 0, 0, 10, 10), Box("z", 50, 50, 10, 10)]

    match = boxes_match(a, b)

    # A0-B1 (IoU 1) is taken first, so A0 is no longer free for B0 (IoU 0.5); A2 overlaps
    # nothing; A1's and B2's classes have no partner.
    assert match.ious == (1.0,)
    assert match.unmatched == 4
    assert match.mean_iou == pytest.approx(1 / 5)


def test_rle_decodes_row_major_starting_with_zeros():
    mask = rle_decode([1, 2, 3, 2], rows=2, columns=4)

    assert mask.tolist() == [[False, True, True, False], [False, False, True, True]]
    assert rle_decode([0, 4], rows=2, columns=2).all()


def test_rle_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="add up to 5"):
        rle_decode([1, 4], rows=2, columns=3)


def test_dice_of_known_masks():
    a = np.array([[1, 1, 0, 0]], dtype=bool)
    b = np.array([[0, 1, 1, 0]], dtype=bool)

    assert dice(a, b) == pytest.approx(0.5)
    assert dice(a, a) == 1.0
    assert dice(np.zeros((2, 2)), np.zeros((2, 2))) is None


def test_the_statistics_import_without_django():
    code = "import sys, ml.core.agreement; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
