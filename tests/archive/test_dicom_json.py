"""The fast DICOM JSON encoder says exactly what pydicom says, on every real file we have."""

from __future__ import annotations

import json

import pydicom
import pytest
from pydicom.dataset import Dataset

from archive.dicom.dicom_json import dataset_to_json
from tests.conftest import SHARED_DICOM, readable_dicom_files


def bulk_uri(element) -> str:
    return f"bulk/{element.tag:08X}"


def pydicom_json(ds: Dataset) -> str:
    return json.dumps(ds.to_json_dict(bulk_data_threshold=64, bulk_data_element_handler=bulk_uri))


def fast_json(ds: Dataset) -> str:
    return json.dumps(
        dataset_to_json(ds, bulk_data_threshold=64, bulk_data_element_handler=bulk_uri)
    )


@pytest.mark.parametrize(
    "path",
    [*readable_dicom_files(), SHARED_DICOM / "dicomdir_fileset" / "DICOMDIR"],
    ids=lambda p: p.name,
)
def test_it_matches_pydicom_on_every_shared_file(path):
    expected = pydicom_json(pydicom.dcmread(path, stop_before_pixels=True))

    assert fast_json(pydicom.dcmread(path, stop_before_pixels=True)) == expected


@pytest.mark.parametrize(
    "charset,name",
    [
        ("ISO_IR 192", "Müller^Jürgen=山田^太郎"),
        ("ISO_IR 100", "Müller^Jürgen"),
        ("ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ("", "Smith^John"),
    ],
)
def test_person_names_in_each_character_set(charset, name, tmp_path):
    ds = pydicom.dcmread(SHARED_DICOM / "ct" / "pydicom_CT_small.dcm")
    ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.InstitutionName = name.split("=")[0]
    ds.save_as(tmp_path / "named.dcm")

    expected = pydicom_json(pydicom.dcmread(tmp_path / "named.dcm", stop_before_pixels=True))

    assert fast_json(pydicom.dcmread(tmp_path / "named.dcm", stop_before_pixels=True)) == expected


def test_unreadable_and_empty_values_keep_the_rest_of_the_data_set(tmp_path):
    ds = pydicom.dcmread(SHARED_DICOM / "ct" / "pydicom_CT_small.dcm")
    ds.add_new(0x00200013, "IS", "")  # empty Instance Number
    ds.add_new(0x00181050, "DS", "0.5\\\\1e3 ")  # an empty value inside a multi-value
    ds.add_new(0x00280030, "DS", "9876.5")
    ds.save_as(tmp_path / "odd.dcm")
    # pydicom will not write a DS that is not a number, so break it in the bytes.
    raw = (tmp_path / "odd.dcm").read_bytes()
    (tmp_path / "odd.dcm").write_bytes(raw.replace(b"9876.5", b"abc   "))

    body = json.loads(fast_json(pydicom.dcmread(tmp_path / "odd.dcm", stop_before_pixels=True)))

    assert body["00200013"] == {"vr": "IS"}
    assert body["00181050"] == {"vr": "DS", "Value": [0.5, None, 1000.0]}
    assert body["00280030"] == {"vr": "DS"}
    assert body["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}
