from __future__ import annotations

import numpy as np
import pydicom
import pytest

from ml.core.chest_xray import ChestXrayConfig, NotApplicableImage, PreparedImage
from ml.core.spec import InputSpec
from tests.ml.core.helpers import SECONDARY_CAPTURE, SHARED_DICOM, gradient, make_dataset

CONFIG = ChestXrayConfig()


def read(relative: str) -> pydicom.Dataset:
    return pydicom.dcmread(SHARED_DICOM / relative, stop_before_pixels=True)


def test_it_is_named_for_the_registry() -> None:
    assert CONFIG.name == "chest_xray_classifier"
    assert CONFIG.task == "chest_xray_pneumonia"


def test_the_real_chest_cr_is_eligible() -> None:
    assert CONFIG.eligibility(read("cr_dx/wg04_RG1_chest_CR_uncompressed.dcm")) is None


def test_a_real_ct_is_not_eligible() -> None:
    reason = CONFIG.eligibility(read("ct/wg04_ct1_chest/CT1_UNC.dcm"))

    assert reason == "modality CT is not a chest radiograph"


def test_a_real_secondary_capture_is_not_eligible() -> None:
    reason = CONFIG.eligibility(read("other_modalities/XA1_angio_J2KR.dcm"))

    assert reason == "secondary capture images are not applicable"


def test_a_secondary_capture_labelled_cr_is_not_eligible() -> None:
    multi_frame_grayscale_sc = SECONDARY_CAPTURE + ".2"
    for sop_class in (SECONDARY_CAPTURE, multi_frame_grayscale_sc):
        ds = make_dataset(gradient(), modality="CR", sop_class=sop_class)

        assert CONFIG.eligibility(ds) == "secondary capture images are not applicable"


def test_a_real_radiograph_of_the_thorax_is_eligible() -> None:
    # A dog's (Institution "Veterinarian"), but its header has no Patient Species Description,
    # and eligibility reads the standard attributes only.
    assert CONFIG.eligibility(read("cr_dx/highdicom_dx_chest_veterinary.dcm")) is None


@pytest.mark.parametrize(
    "body_part",
    [
        "CHEST",
        "THORAX",
        "LUNG",
        "LUNGS",
        "TORAX",
        "TÓRAX",
        "TORACE",
        "BRUST",
        "BRUSTKORB",
        "POITRINE",
        "PECHO",
        "BORST",
        "chest",
        "Thorax",
        "  CHEST ",
        "CHEST PA",
        "CHEST_PA",
        "THORAX AP",
        "PORT CHEST",
        "PORTABLE CHEST",
        "CHEST LAT",
        "XR CHEST",
        "THORAX AP LIEGEND",
        "chest-pa",
    ],
)
def test_the_chest_under_any_of_its_names_is_eligible(body_part: str) -> None:
    assert CONFIG.eligibility(make_dataset(gradient(), body_part=body_part)) is None


@pytest.mark.parametrize(
    "body_part",
    ["HEAD", "KNEE", "SKULL", "ABDOMEN", "HAND", "TSPINE", "CHESTABDOMEN", "CHEST ABDOMEN", "RIBS"],
)
def test_a_body_part_other_than_the_chest_is_not_eligible(body_part: str) -> None:
    reason = CONFIG.eligibility(make_dataset(gradient(), body_part=body_part))

    assert reason == f"body part {body_part} is not the chest"


def test_a_lower_case_body_part_is_named_in_upper_case_when_refused() -> None:
    reason = CONFIG.eligibility(make_dataset(gradient(), body_part=" knee "))

    assert reason == "body part KNEE is not the chest"


def test_an_animal_patient_is_not_eligible() -> None:
    ds = make_dataset(gradient(), PatientSpeciesDescription="CANIS LUPUS FAMILIARIS")

    assert CONFIG.eligibility(ds) == "patient species CANIS LUPUS FAMILIARIS is not human"


def test_a_human_patient_species_is_eligible() -> None:
    ds = make_dataset(gradient(), PatientSpeciesDescription="Homo sapiens")

    assert CONFIG.eligibility(ds) is None


def test_a_missing_or_empty_body_part_is_eligible() -> None:
    assert CONFIG.eligibility(make_dataset(gradient(), body_part=None)) is None
    assert CONFIG.eligibility(make_dataset(gradient(), body_part="")) is None
    assert CONFIG.eligibility(make_dataset(gradient(), body_part="   ")) is None


def test_a_missing_modality_is_not_eligible() -> None:
    ds = make_dataset(gradient())
    del ds.Modality

    assert CONFIG.eligibility(ds) == "modality (missing) is not a chest radiograph"


def test_a_colour_radiograph_is_not_eligible() -> None:
    ds = make_dataset(gradient(), photometric="RGB")

    assert CONFIG.eligibility(ds) == "photometric interpretation RGB is not supported"


def test_prepare_gives_one_model_input_per_frame() -> None:
    ds = make_dataset(np.stack([gradient(), gradient().T]))

    prepared = CONFIG.prepare(ds)

    assert [item.frame_number for item in prepared] == [1, 2]
    assert all(isinstance(item, PreparedImage) for item in prepared)
    assert all(
        item.image.shape == (28, 28, 1) for item in prepared if isinstance(item, PreparedImage)
    )


def test_prepare_reports_a_constant_frame_by_its_number() -> None:
    ds = make_dataset(np.stack([gradient(), np.zeros((64, 64), np.uint16)]))

    prepared = CONFIG.prepare(ds)

    assert isinstance(prepared[0], PreparedImage)
    assert prepared[1] == NotApplicableImage(2, "image has constant pixel values")


def test_prepare_of_an_ineligible_instance_gives_one_instance_level_reason() -> None:
    ds = make_dataset(gradient(), modality="MR")

    assert CONFIG.prepare(ds) == [NotApplicableImage(None, "modality MR is not a chest radiograph")]


def test_prepare_of_an_instance_without_pixels_says_so() -> None:
    assert CONFIG.prepare(make_dataset(None)) == [NotApplicableImage(None, "no pixel data")]


def test_prepare_of_the_real_chest_cr_gives_a_model_input() -> None:
    ds = pydicom.dcmread(SHARED_DICOM / "cr_dx" / "wg04_RG1_chest_CR_uncompressed.dcm")

    (prepared,) = CONFIG.prepare(ds)

    assert isinstance(prepared, PreparedImage)
    assert prepared.image.dtype == np.float32
    assert 0.0 <= prepared.image.min() < prepared.image.max() <= 1.0


def test_the_training_config_uses_the_config_spec() -> None:
    config = ChestXrayConfig(spec=InputSpec(image_size=32))

    assert config.training_config().spec == InputSpec(image_size=32)
