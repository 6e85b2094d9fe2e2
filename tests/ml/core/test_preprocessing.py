from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PIL import Image

from ml.core.preprocessing import (
    NotApplicable,
    PixelMeta,
    apply_window,
    frames_from_dataset,
    preprocess,
    preprocess_batch,
)
from ml.core.spec import InputSpec
from tests.ml.core.helpers import PNEUMONIAMNIST, SHARED_DICOM, gradient, make_dataset

SPEC = InputSpec()
MONO2 = PixelMeta(photometric_interpretation="MONOCHROME2")


def window(values: list[float], center: float, width: float, function: str) -> np.ndarray:
    meta = PixelMeta(
        "MONOCHROME2", window_center=center, window_width=width, voi_lut_function=function
    )
    return apply_window(np.array(values, dtype=np.float64), meta)


def test_output_is_float32_of_the_spec_size_in_the_unit_range() -> None:
    out = preprocess(gradient(300, 300), MONO2, SPEC)

    assert out.shape == (28, 28, 1)
    assert out.dtype == np.float32
    assert out.min() == 0.0
    assert out.max() == 1.0


def test_linear_window_follows_the_dicom_formula() -> None:
    # c=50, w=11: 0 at or below c - 0.5 - (w-1)/2 = 44.5, 1 above 54.5, linear between.
    out = window([44.5, 45.5, 49.5, 54.5, 54.6], center=50, width=11, function="LINEAR")

    np.testing.assert_allclose(out, [0.0, 0.1, 0.5, 1.0, 1.0])


def test_linear_exact_window_follows_the_dicom_formula() -> None:
    out = window([44.0, 47.5, 50.0, 56.0], center=50, width=10, function="LINEAR_EXACT")

    np.testing.assert_allclose(out, [0.0, 0.25, 0.5, 1.0])


def test_sigmoid_window_follows_the_dicom_formula() -> None:
    out = window([50.0, 52.5, 47.5], center=50, width=10, function="SIGMOID")

    np.testing.assert_allclose(out, [0.5, 1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))])


def test_a_width_of_one_is_a_threshold() -> None:
    out = window([49.0, 49.5, 49.6, 51.0], center=50, width=1, function="LINEAR")

    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0, 1.0])


def test_an_invalid_window_is_ignored() -> None:
    values = [1.0, 2.0, 3.0]

    np.testing.assert_array_equal(window(values, center=2, width=0.5, function="LINEAR"), values)
    np.testing.assert_array_equal(window(values, center=2, width=0, function="SIGMOID"), values)


def test_rescale_is_applied_before_the_window() -> None:
    # Stored 100 | 200 with intercept -150 -> -50 | 50: a window at 0 separates the halves.
    # Without the rescale every value lies above the window and the image is flat.
    pixels = np.full((56, 56), 100, np.uint16)
    pixels[:, 28:] = 200
    windowed = PixelMeta("MONOCHROME2", 1.0, -150.0, 0.0, 2.0, "LINEAR_EXACT")

    out = preprocess(pixels, windowed, SPEC)[..., 0]

    assert out[:, :14].max() == 0.0
    assert out[:, 14:].min() == 1.0
    with pytest.raises(NotApplicable, match="constant"):
        preprocess(pixels, PixelMeta("MONOCHROME2", 1.0, 0.0, 0.0, 2.0, "LINEAR_EXACT"), SPEC)


def test_monochrome1_is_inverted() -> None:
    pixels = gradient(90, 90)

    mono1 = preprocess(pixels, PixelMeta("MONOCHROME1"), SPEC)
    mono2 = preprocess(pixels, MONO2, SPEC)

    np.testing.assert_allclose(mono1, 1.0 - mono2, atol=1e-6)


def test_a_non_square_image_is_centre_cropped_before_resizing() -> None:
    pixels = gradient(40, 60)
    pixels[:, :10] = pixels[:, 50:] = 60000  # outside the central 40x40 square

    np.testing.assert_array_equal(
        preprocess(pixels, MONO2, SPEC), preprocess(pixels[:, 10:50], MONO2, SPEC)
    )


def test_a_256px_bicubic_upsample_preprocesses_like_its_28px_source() -> None:
    with np.load(PNEUMONIAMNIST) as npz:
        sources = npz["val_images"][:20]
    expected = preprocess_batch(list(sources), MONO2, SPEC)
    for source, want in zip(sources, expected, strict=True):
        upsampled = Image.fromarray(source.astype(np.float32)).resize(
            (256, 256), Image.Resampling.BICUBIC
        )
        # As a 12-bit DICOM would store it: another range, same picture.
        stored = np.clip(np.round(np.asarray(upsampled) * 16), 0, 4095).astype(np.uint16)

        got = preprocess(stored, MONO2, SPEC)

        assert np.abs(got - want).mean() < 0.03
        assert np.abs(got - want).max() < 0.2


def test_preprocess_batch_is_identical_to_preprocess_per_image() -> None:
    with np.load(PNEUMONIAMNIST) as npz:
        images = npz["train_images"][:32]

    batch = preprocess_batch(list(images), MONO2, SPEC)

    assert batch.shape == (32, 28, 28, 1)
    for image, row in zip(images, batch, strict=True):
        np.testing.assert_array_equal(preprocess(image, MONO2, SPEC), row)


def test_preprocess_batch_of_mixed_sizes_matches_per_image_results() -> None:
    images = [gradient(28, 28), gradient(100, 80)]

    batch = preprocess_batch(images, MONO2, SPEC)

    np.testing.assert_array_equal(batch[1], preprocess(images[1], MONO2, SPEC))


def test_a_constant_image_is_refused() -> None:
    with pytest.raises(NotApplicable) as caught:
        preprocess(np.full((64, 64), 7, np.uint16), MONO2, SPEC)

    assert caught.value.reason == "image has constant pixel values"


def test_a_constant_image_in_a_training_batch_is_refused() -> None:
    with pytest.raises(NotApplicable, match="constant"):
        preprocess_batch([gradient(28, 28), np.zeros((28, 28), np.uint8)], MONO2, SPEC)


def test_a_mostly_flat_image_falls_back_to_min_max() -> None:
    pixels = np.zeros((100, 100), np.uint16)
    pixels[0, 0] = 1000  # one bright pixel: both percentiles are 0

    out = preprocess(pixels, MONO2, SPEC)

    assert out.max() > 0.0


def test_pixel_meta_reads_the_first_window_and_the_rescale() -> None:
    ds = make_dataset(
        gradient(),
        WindowCenter=[40, 400],
        WindowWidth=[80, 2000],
        RescaleSlope=2,
        RescaleIntercept=-1024,
        VOILUTFunction="SIGMOID",
    )

    meta = PixelMeta.from_dataset(ds)

    assert meta == PixelMeta("MONOCHROME2", 2.0, -1024.0, 40.0, 80.0, "SIGMOID")


def test_pixel_meta_defaults_without_rescale_or_window() -> None:
    assert PixelMeta.from_dataset(make_dataset(gradient())) == MONO2


def test_pixel_meta_reads_enhanced_shared_functional_groups() -> None:
    ds = pydicom.dcmread(SHARED_DICOM / "multiframe" / "eCT_Supplemental_enhanced_ct_2f.dcm")

    meta = PixelMeta.from_dataset(ds)

    assert meta.rescale_intercept == -1024.0
    assert meta.window_width is not None


def test_a_multi_frame_dataset_gives_one_array_per_frame() -> None:
    stack = np.stack([gradient(32, 32), gradient(32, 32) * 2, gradient(32, 32) * 3])

    frames = frames_from_dataset(make_dataset(stack))

    assert len(frames) == 3
    np.testing.assert_array_equal(frames[2], stack[2])


def test_rgb_pixels_are_refused_with_the_photometric_in_the_reason() -> None:
    ds = pydicom.dcmread(SHARED_DICOM / "other_modalities" / "US1_ultrasound_RLE.dcm")

    with pytest.raises(NotApplicable) as caught:
        frames_from_dataset(ds)

    assert caught.value.reason == "photometric interpretation RGB is not supported"


def test_missing_pixel_data_is_refused() -> None:
    with pytest.raises(NotApplicable) as caught:
        frames_from_dataset(make_dataset(None))

    assert caught.value.reason == "no pixel data"


def test_undecodable_pixel_data_is_refused() -> None:
    ds = pydicom.dcmread(SHARED_DICOM / "malformed" / "MR_truncated.dcm")

    with pytest.raises(NotApplicable, match="could not be decoded"):
        frames_from_dataset(ds)


def test_non_2d_pixels_are_refused() -> None:
    with pytest.raises(NotApplicable, match="not a 2D image"):
        preprocess(np.zeros((4, 4, 4)), MONO2, SPEC)
    with pytest.raises(NotApplicable, match="empty"):
        preprocess(np.zeros((0, 5)), MONO2, SPEC)


def test_a_real_monochrome1_chest_cr_looks_like_the_training_images() -> None:
    # Inverted the wrong way round, lungs would be bright and the correlation negative.
    ds = pydicom.dcmread(SHARED_DICOM / "cr_dx" / "wg04_RG1_chest_CR_uncompressed.dcm")
    with np.load(PNEUMONIAMNIST) as npz:
        mean_training_image = preprocess_batch(list(npz["val_images"]), MONO2, SPEC).mean(axis=0)

    image = preprocess(frames_from_dataset(ds)[0], PixelMeta.from_dataset(ds), SPEC)

    correlation = np.corrcoef(image.ravel(), mean_training_image.ravel())[0, 1]
    assert correlation > 0.3
