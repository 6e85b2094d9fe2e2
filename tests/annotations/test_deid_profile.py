"""The Basic Profile on bare data sets: every attribute the table removes, empties or replaces
is gone from the output, at any depth, with UIDs replaced consistently; no database needed."""

from __future__ import annotations

import io
import json

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from annotations.deid import DeidOptions, deidentify
from annotations.deid.basic_profile import BASIC_PROFILE
from tests.annotations.deid_fixtures import Identifiers, dataset_bytes, phi_dataset

KEY = b"test-key"
OPTIONS = DeidOptions(pseudonym="CASE-7Q2X", uid_key=KEY)
SECRET = "SECRETVALUE"
# Command (0000) and file meta (0002) groups: the table names some, a stored data set has none.
NOT_IN_A_DATA_SET = (0x0000, 0x0002)
SAMPLES = {
    "PN": "Secret^Person",
    "DA": "19470315",
    "TM": "101010",
    "DT": "19470315101010",
    "AS": "042Y",
    "AE": "SECRETAE",
    "IS": "7",
    "DS": "7.5",
    "US": 7,
    "UL": 7,
    "SS": 7,
    "SL": 7,
    "FL": 7.0,
    "FD": 7.0,
    "OB": b"SECRETSE",
    "OW": b"SECRETSE",
    "UN": b"SECRETSE",
}


def _sample(vr: str, keyword: str) -> object:
    if vr == "SQ":
        item = Dataset()  # what sequences the profile keeps hold: references, and a name to net
        item.ReferencedSOPInstanceUID = generate_uid()
        item.PatientName = "Nested^Secret"
        return [item]
    if vr == "UI":
        return generate_uid()
    if vr in ("CS", "SH"):
        return SECRET
    return SAMPLES.get(vr, SECRET + " " + keyword)


def _every_table_attribute() -> Dataset:
    ds = Dataset()
    for keyword in BASIC_PROFILE:
        tag = tag_for_keyword(keyword)
        if tag >> 16 in NOT_IN_A_DATA_SET:
            continue  # file meta: test_file_meta_loses_the_sending_site
        vr = dictionary_VR(tag).split(" or ")[0]
        ds.add_new(tag, vr, _sample(vr, keyword))
    return ds


def _is_empty(ds: Dataset, keyword: str) -> bool:
    if keyword not in ds:
        return True
    value = ds[keyword].value
    return value is None or len(value) == 0  # text, bytes, a sequence


def test_every_keyword_of_the_table_names_a_standard_attribute():
    unknown = [k for k in BASIC_PROFILE if tag_for_keyword(k) is None]

    assert unknown == []


@pytest.mark.parametrize(
    "keyword",
    sorted(k for k, a in BASIC_PROFILE.items() if a == "X" and tag_for_keyword(k) >> 16),
)
def test_attributes_the_profile_removes_are_absent(keyword):
    out = deidentify(_every_table_attribute(), options=OPTIONS)

    assert keyword not in out


@pytest.mark.parametrize(
    "keyword",
    sorted(k for k, a in BASIC_PROFILE.items() if a in ("Z", "Z/D", "X/Z", "X/Z/D", "X/D")),
)
def test_attributes_the_profile_empties_are_empty_or_absent(keyword):
    out = deidentify(_every_table_attribute(), options=OPTIONS)

    if keyword in ("PatientName", "PatientID"):
        assert str(out[keyword].value) == OPTIONS.pseudonym
    else:
        assert _is_empty(out, keyword), f"{keyword}={out[keyword].value!r}"


@pytest.mark.parametrize("keyword", sorted(k for k, a in BASIC_PROFILE.items() if a == "D"))
def test_attributes_the_profile_replaces_by_a_dummy_lose_their_value(keyword):
    original = _every_table_attribute()
    out = deidentify(original, options=OPTIONS)

    assert out[keyword].value != original[keyword].value
    assert SECRET not in str(out[keyword].value) and "Secret" not in str(out[keyword].value)


@pytest.mark.parametrize(
    "keyword",
    sorted(
        k
        for k, a in BASIC_PROFILE.items()
        if a == "U" and tag_for_keyword(k) >> 16 not in NOT_IN_A_DATA_SET
    ),
)
def test_uids_the_profile_names_are_replaced(keyword):
    original = _every_table_attribute()
    out = deidentify(original, options=OPTIONS)

    assert out[keyword].value != original[keyword].value
    assert str(out[keyword].value).startswith("2.25.")


def test_nothing_secret_is_left_anywhere_in_the_output():
    out = deidentify(_every_table_attribute(), options=OPTIONS)
    written = dataset_bytes(_with_meta(out))

    assert b"SECRET" not in written and b"Secret" not in written and b"19470315" not in written


def test_private_attributes_are_removed_creators_included():
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    block = ds.private_block(0x0009, "ACME 1.1", create=True)
    block.add_new(0x01, "LO", "Doe^Jane in a private tag")
    item = Dataset()
    item.private_block(0x0011, "ACME 1.1", create=True).add_new(0x02, "LO", "nested private")
    ds.ReferencedImageSequence = [item]

    out = deidentify(ds, options=OPTIONS)

    assert [e.tag for e in out.iterall() if e.tag.is_private] == []


def test_curves_and_overlays_are_removed():
    ds = Dataset()
    ds.add_new(0x60000010, "US", 4)  # Overlay Rows
    ds.add_new(0x60003000, "OW", b"\x01\x00" * 8)  # Overlay Data
    ds.add_new(0x60024000, "LT", "Doe^Jane overlay comment")
    ds.add_new(0x50000005, "US", 1)  # Curve Dimensions

    out = deidentify(ds, options=OPTIONS)

    assert list(out.keys()) == [tag_for_keyword(k) for k in _marks()]


def _marks() -> list[str]:
    return [
        "PatientName",
        "PatientID",
        "PatientIdentityRemoved",
        "DeidentificationMethod",
        "DeidentificationMethodCodeSequence",
        "LongitudinalTemporalInformationModified",
    ]


def test_nested_sequences_are_cleaned_at_any_depth():
    inner = Dataset()
    inner.PersonName = "Deep^Secret"
    inner.InstitutionName = "Deep Hospital"
    inner.ReferencedSOPInstanceUID = "1.2.3.4.5.6"
    middle = Dataset()
    middle.ReferencedImageSequence = [inner]
    middle.StudyDate = "20200101"
    ds = Dataset()
    ds.SourceImageSequence = [middle]

    out = deidentify(ds, options=OPTIONS)

    cleaned_middle = out.SourceImageSequence[0]
    cleaned_inner = cleaned_middle.ReferencedImageSequence[0]
    assert cleaned_middle.StudyDate == ""
    assert cleaned_inner.PersonName == "ANONYMIZED"
    assert cleaned_inner.InstitutionName == ""
    assert cleaned_inner.ReferencedSOPInstanceUID.startswith("2.25.")


def test_dates_times_and_names_the_table_does_not_name_are_emptied_too():
    ds = Dataset()
    ds.DateOfGainCalibration = "20200101"  # none of these three is in the 2024b table
    ds.TimeOfGainCalibration = "101010"
    ds.SecondaryReviewerName = "Doe^Reviewer"
    ds.RequestingPhysician = "Doe^Requester"
    ds.ScheduledPerformingPhysicianName = "Doe^Scheduled"

    out = deidentify(ds, options=OPTIONS)

    assert out.DateOfGainCalibration == "" and out.TimeOfGainCalibration == ""
    assert out.SecondaryReviewerName == ""
    assert "RequestingPhysician" not in out and "ScheduledPerformingPhysicianName" not in out


def test_uids_the_standard_defines_are_kept_and_others_replaced():
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.ContextUID = "1.2.3.4"  # not in the 2024b table: netted
    ds.CodingSchemeUID = "1.2.840.10008.2.16.4"

    out = deidentify(ds, options=OPTIONS)

    assert out.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1"
    assert out.CodingSchemeUID == "1.2.840.10008.2.16.4"
    assert out.ContextUID.startswith("2.25.")


def test_uids_are_consistent_across_the_instances_of_a_study():
    ids = Identifiers(tag="U")
    first, second = phi_dataset(ids), phi_dataset(ids)
    other_series = phi_dataset(Identifiers(tag="V", study_uid=ids.study_uid))

    outs = [deidentify(ds, options=OPTIONS) for ds in (first, second, other_series)]

    assert len({o.StudyInstanceUID for o in outs}) == 1
    assert outs[0].StudyInstanceUID != ids.study_uid
    assert outs[0].SeriesInstanceUID == outs[1].SeriesInstanceUID
    assert outs[0].SeriesInstanceUID != outs[2].SeriesInstanceUID
    assert len({o.SOPInstanceUID for o in outs}) == 3
    assert outs[0].file_meta.MediaStorageSOPInstanceUID == outs[0].SOPInstanceUID
    assert outs[0].SourceImageSequence[0].ReferencedSOPInstanceUID == outs[0].SOPInstanceUID


def test_another_key_gives_other_uids():
    ds = phi_dataset(Identifiers(tag="K"))

    one = deidentify(ds, options=OPTIONS)
    other = deidentify(ds, options=DeidOptions(pseudonym="X", uid_key=b"another"))

    assert one.StudyInstanceUID != other.StudyInstanceUID


def test_the_output_is_marked_de_identified_and_named_by_the_pseudonym():
    out = deidentify(phi_dataset(Identifiers(tag="M")), options=OPTIONS)

    assert out.PatientName == OPTIONS.pseudonym and out.PatientID == OPTIONS.pseudonym
    assert out.PatientIdentityRemoved == "YES"
    code = out.DeidentificationMethodCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("113100", "DCM")
    assert out.LongitudinalTemporalInformationModified == "REMOVED"


def test_the_output_is_a_data_set_pydicom_writes_and_reads_back_with_the_same_pixels():
    original = phi_dataset(Identifiers(tag="W"))
    out = deidentify(original, options=OPTIONS)

    back = pydicom.dcmread(io.BytesIO(dataset_bytes(out)))

    assert back.PatientName == OPTIONS.pseudonym
    assert back.StudyInstanceUID == out.StudyInstanceUID
    assert back.PixelData[: len(original.PixelData)] == original.PixelData  # even-padded
    assert (back.pixel_array == original.pixel_array).all()


def test_the_input_is_left_untouched():
    ds = phi_dataset(Identifiers(tag="I"))
    before = dataset_bytes(ds)

    deidentify(ds, options=OPTIONS)

    assert dataset_bytes(ds) == before


def test_file_meta_loses_the_sending_site():
    ds = phi_dataset(Identifiers(tag="F"))
    ds.file_meta.SourceApplicationEntityTitle = "SITEAE"

    out = deidentify(ds, options=OPTIONS)

    assert "SourceApplicationEntityTitle" not in out.file_meta
    assert out.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID


def _with_meta(ds: Dataset) -> Dataset:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "2.25.1"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "2.25.1"
    return ds


def _shared_files() -> list:
    from tests.conftest import readable_dicom_files

    return readable_dicom_files()


@pytest.mark.parametrize("path", _shared_files(), ids=lambda p: p.name)
def test_every_shared_file_de_identifies_to_a_data_set_that_writes_and_encodes(path):
    from archive.dicom.dicom_json import dataset_to_json

    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    originals = {str(ds.get(k, "")) for k in ("StudyInstanceUID", "SOPInstanceUID")} - {""}

    out = deidentify(ds, options=OPTIONS)
    out.file_meta = getattr(out, "file_meta", None) or FileMetaDataset()
    out.file_meta.setdefault("TransferSyntaxUID", ExplicitVRLittleEndian)
    buffer = io.BytesIO()
    out.save_as(buffer)  # in the file's own encoding, big endian included
    text = json.dumps(
        dataset_to_json(out, bulk_data_threshold=2**26, bulk_data_element_handler=str)
    )

    assert pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True).PatientName == "CASE-7Q2X"
    assert [uid for uid in originals if uid in text] == []
    assert [e.tag for e in out.iterall() if e.tag.is_private] == []
