"""The Basic Profile table against the edition it names: every keyword one pydicom knows, as many
rows as the edition's Table E.1-1, and a sample of the edition's rows by tag with their actions,
so a table written from memory, a misspelt keyword or a wrong action shows here."""

from __future__ import annotations

import pytest
from pydicom.datadict import keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset

from annotations.deid import DeidOptions, deidentify
from annotations.deid.basic_profile import (
    BASIC_PROFILE,
    BEYOND_PROFILE,
    EDITION,
    EDITION_ROWS,
    EDITION_RULE_ROWS,
)
from annotations.deid.dataset import REMOVE, action_for

ACTIONS = {"D", "Z", "X", "K", "C", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"}
# Rows of DICOM PS3.15 2024b Table E.1-1, Basic Profile column, by tag, as extracted in
# innolitics/dicom-standard standard/confidentiality_profile_attributes.json (rev2024b) and
# listed alike in KitwareMedical/dicom-anonymizer dicomfields_2024b.py. Chosen across the
# groups and actions, with every row whose action the table here had wrong before 2024b.
REFERENCE_SAMPLE = {
    "00001001": "U",  # Requested SOP Instance UID
    "00080012": "X/D",  # Instance Creation Date
    "00080013": "X/Z/D",  # Instance Creation Time
    "0008002A": "X/Z/D",  # Acquisition DateTime
    "00080050": "Z",  # Accession Number
    "00080055": "X",  # Station AE Title
    "00080080": "X/Z/D",  # Institution Name
    "0008009C": "Z",  # Consulting Physician's Name
    "00080106": "D",  # Context Group Version
    "00081140": "X/Z/U*",  # Referenced Image Sequence
    "00100010": "Z",  # Patient's Name
    "00100020": "Z/D",  # Patient ID
    "00101010": "X",  # Patient's Age
    "00102155": "X",  # Patient's Telecom Information
    "00120010": "D",  # Clinical Trial Sponsor Name
    "00120040": "D",  # Clinical Trial Subject ID
    "00160072": "X",  # GPS Latitude
    "00181012": "X",  # Date of Secondary Capture
    "00181030": "X/D",  # Protocol Name
    "0018700C": "X/D",  # Date of Last Detector Calibration
    "0018700E": "X/D",  # Time of Last Detector Calibration
    "00189074": "D",  # Frame Acquisition DateTime
    "0020000D": "U",  # Study Instance UID
    "00200052": "U",  # Frame of Reference UID
    "00321066": "X",  # Reason for Visit
    "00400555": "X/Z",  # Acquisition Context Sequence
    "0040A027": "D",  # Verifying Organization
    "0040A123": "D",  # Person Name
    "0040A730": "D",  # Content Sequence
    "00420011": "D",  # Encapsulated Document
    "006A0003": "D",  # Annotation Group UID
    "00700084": "Z/D",  # Content Creator's Name
    "04000100": "U",  # Digital Signature UID
    "22000005": "X/Z",  # Barcode Value
    "30080105": "X/Z",  # Source Serial Number
    "300A00B2": "X/Z",  # Treatment Machine Name
    "FFFAFFFA": "X",  # Digital Signatures Sequence
    "FFFCFFFC": "X",  # Data Set Trailing Padding
}


def _by_tag() -> dict[str, str]:
    return {f"{int(tag_for_keyword(k) or 0):08X}": a for k, a in BASIC_PROFILE.items()}


def test_every_keyword_is_one_pydicom_knows_and_spells_alike():
    keywords = list(BASIC_PROFILE) + list(BEYOND_PROFILE)

    unknown = [k for k in keywords if tag_for_keyword(k) is None]
    respelt = [k for k in keywords if k not in unknown and keyword_for_tag(tag_for_keyword(k)) != k]

    assert (unknown, respelt) == ([], [])


def test_every_action_is_one_the_standard_defines():
    assert {a for a in (BASIC_PROFILE | BEYOND_PROFILE).values() if a not in ACTIONS} == set()


def test_the_table_has_as_many_rows_as_the_editions():
    assert "2024b" in EDITION
    assert EDITION_ROWS == 621
    assert len(BASIC_PROFILE) + len(EDITION_RULE_ROWS) == EDITION_ROWS
    assert len(_by_tag()) == len(BASIC_PROFILE)  # no attribute named twice


def test_the_editions_rows_are_in_the_table_with_the_editions_action():
    table = _by_tag()

    wrong = {tag: (table.get(tag), want) for tag, want in REFERENCE_SAMPLE.items()}

    assert {tag: pair for tag, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_what_the_product_removes_beyond_the_table_is_not_in_the_table():
    assert set(BEYOND_PROFILE) & set(BASIC_PROFILE) == set()


@pytest.mark.parametrize(
    "tag",
    [0x00090010, 0x00091001, 0x50000005, 0x501E3000, 0x60003000, 0x60224000],
    ids=["private creator", "private", "curve", "curve data", "overlay data", "overlay comments"],
)
def test_the_editions_rule_rows_remove_by_group(tag):
    assert action_for(tag) == REMOVE


def test_a_dummy_says_nothing_but_keeps_a_value_of_its_vr():
    ds = Dataset()
    ds.FrameAcquisitionDateTime = "19470315101010"
    ds.SafePositionExitDate = "19470315"
    ds.SafePositionExitTime = "101010"
    ds.AnnotationGroupUID = "1.2.3.4.5"
    ds.ClinicalTrialSubjectID = "SUBJECT-19470315"
    ds.ContentSequence = [Dataset()]
    ds.ContentSequence[0].TextValue = "Doe^Jane"

    out = deidentify(ds, options=DeidOptions(pseudonym="CASE-D", uid_key=b"k"))

    assert out.FrameAcquisitionDateTime == "19000101000000"
    assert (out.SafePositionExitDate, out.SafePositionExitTime) == ("19000101", "000000")
    assert out.AnnotationGroupUID.startswith("2.25.")
    assert out.ClinicalTrialSubjectID == "ANONYMIZED"
    assert len(out.ContentSequence) == 0
