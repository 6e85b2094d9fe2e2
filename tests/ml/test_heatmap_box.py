"""Known answers for the pre-annotation box around a class activation map's hot region."""

from __future__ import annotations

import numpy as np
import pytest

from ml.core.heatmap_box import Box, hot_box, hot_boxes


def grid(hot: dict[tuple[int, int], float], size: int = 7) -> np.ndarray:
    values = np.zeros((size, size))
    for (row, column), value in hot.items():
        values[row, column] = value
    return values


def test_one_hot_cell_on_a_square_image_is_that_cells_pixels():
    # 7 x 7 grid over 28 x 28 pixels: a cell is 4 pixels.
    assert hot_box(grid({(2, 5): 1.0}), rows=28, columns=28) == Box(x=20, y=8, width=4, height=4)


def test_a_wide_image_puts_the_box_in_its_central_square():
    # 100 rows x 300 columns: the model saw columns 100..199; a cell is 100 / 7 pixels.
    box = hot_box(grid({(0, 0): 1.0, (6, 6): 0.0}), rows=100, columns=300)
    assert box == Box(x=100, y=0, width=15, height=15)  # ceil(100 / 7) = 15


def test_a_tall_image_puts_the_box_in_its_central_square():
    box = hot_box(grid({(6, 6): 1.0}), rows=300, columns=100)
    assert box == Box(x=85, y=185, width=15, height=15)  # floor(600 / 7) = 85, 100 + 85 = 185


def test_the_box_spans_the_whole_connected_region_including_diagonal_neighbours():
    values = grid({(1, 1): 1.0, (2, 2): 0.8, (3, 3): 0.6, (3, 4): 0.9})
    assert hot_box(values, rows=28, columns=28) == Box(x=4, y=4, width=16, height=12)


def test_cells_below_the_fraction_of_the_maximum_are_left_out():
    values = grid({(1, 1): 1.0, (1, 2): 0.49, (1, 3): 0.9})
    # (1, 2) is not hot, so (1, 1) and (1, 3) are separate regions: the stronger sum wins alone.
    assert hot_box(values, rows=28, columns=28) == Box(x=4, y=4, width=4, height=4)
    assert hot_box(values, rows=28, columns=28, fraction=0.4) == Box(x=4, y=4, width=12, height=4)


def test_a_broad_region_beats_a_single_hotter_cell():
    values = grid({(0, 0): 1.0, (5, 4): 0.9, (5, 5): 0.9, (6, 4): 0.9, (6, 5): 0.9})
    assert hot_box(values, rows=28, columns=28) == Box(x=16, y=20, width=8, height=8)


def test_flat_zero_or_negative_maps_give_no_box():
    assert hot_box(np.zeros((7, 7)), rows=28, columns=28) is None
    assert hot_box(np.full((7, 7), 0.3), rows=28, columns=28) is None
    assert hot_box(np.full((7, 7), -1.0), rows=28, columns=28) is None
    assert hot_box(grid({(3, 3): np.nan}), rows=28, columns=28) is None


def test_a_batch_answers_each_map_on_its_own_image():
    maps = np.stack([grid({(0, 0): 1.0}), np.zeros((7, 7)), grid({(6, 6): 2.0})])
    boxes = hot_boxes(maps, rows=[28, 28, 70], columns=[28, 28, 70])
    assert boxes == [Box(0, 0, 4, 4), None, Box(60, 60, 10, 10)]
    assert boxes[2] is not None and boxes[2].as_dict() == {
        "x": 60,
        "y": 60,
        "width": 10,
        "height": 10,
    }


def test_boxes_stay_inside_the_image_for_any_map():
    rng = np.random.default_rng(0)
    maps = rng.random((200, 7, 7)) ** 4
    rows = rng.integers(1, 3000, 200)
    columns = rng.integers(1, 3000, 200)
    for box, r, c in zip(hot_boxes(maps, rows=rows, columns=columns), rows, columns, strict=True):
        assert box is not None
        assert box.x >= 0 and box.x + box.width <= c and box.width >= 1
        assert box.y >= 0 and box.y + box.height <= r and box.height >= 1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        hot_box(np.ones((7, 7)), rows=28, columns=28, fraction=0.0)
    with pytest.raises(ValueError):
        hot_boxes(np.ones((2, 7, 7)), rows=[28], columns=[28])
    with pytest.raises(ValueError):
        hot_boxes(np.ones((7, 7)), rows=[28], columns=[28])
