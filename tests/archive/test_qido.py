"""QIDO-RS: what a viewer (dicomweb-client, as OHIF) finds when it searches the archive.

One archive is stored for the whole module (searches do not change it); expected answers are
computed from the files themselves, so each test states what a user would expect to find.
"""

from __future__ import annotations

from collections.abc import Iterator

import pydicom
import pytest
from dicomweb_client.api import DICOMwebClient
from django.core.management import call_command

from tests.archive.dicomweb_helpers import dicomweb_client
from tests.conftest import SHARED_DICOM

FILESET = sorted(
    p
    for p in (SHARED_DICOM / "dicomdir_fileset").rglob("*")
    if p.is_file() and p.name != "DICOMDIR"
)
CT_SERIES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
SEG = SHARED_DICOM / "multiframe" / "seg_liver_3f.dcm"  # same study as CT_SERIES
ENHANCED_MR = SHARED_DICOM / "multiframe" / "emri_small_enhanced_mr_10f.dcm"
FILES = [
    *FILESET,
    *CT_SERIES,
    SEG,
    ENHANCED_MR,
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm",
]
# Searches only read; the marker makes pytest-django create the test database for the module.
pytestmark = pytest.mark.django_db
HEADERS = {p: pydicom.dcmread(p, stop_before_pixels=True) for p in FILES}


@pytest.fixture(scope="module")
def dicomweb(
    archive_server: str, django_db_setup: None, django_db_blocker
) -> Iterator[DICOMwebClient]:
    """A dicomweb-client for a radiologist, on an archive holding FILES (committed)."""
    from accounts.services import token_issue, user_create
    from archive.services.ingest import instance_ingest

    with django_db_blocker.unblock():
        user_create(username="qido-reader", password="pw-for-tests", roles=["radiologist"])
        token = token_issue(username="qido-reader")
        for path in FILES:
            with open(path, "rb") as fp:
                instance_ingest(fp=fp, source="test")
    yield dicomweb_client(archive_server, token)
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def values(results: list[dict], keyword: str) -> list:
    tag = f"{pydicom.datadict.tag_for_keyword(keyword):08X}"
    out = []
    for item in results:
        value = item.get(tag, {}).get("Value", [None])
        out.append(value[0]["Alphabetic"] if isinstance(value[0], dict) else value[0])
    return out


def studies_where(predicate) -> set[str]:
    return {ds.StudyInstanceUID for ds in HEADERS.values() if predicate(ds)}


def found_studies(dicomweb: DICOMwebClient, **filters: str) -> set[str]:
    return set(values(dicomweb.search_for_studies(search_filters=filters), "StudyInstanceUID"))


def test_it_lists_every_study_with_its_counts_modalities_and_retrieve_url(dicomweb, archive_server):
    studies = dicomweb.search_for_studies()

    assert set(values(studies, "StudyInstanceUID")) == studies_where(lambda ds: True)
    seg_study = next(
        s for s in studies if s["0020000D"]["Value"][0] == HEADERS[SEG].StudyInstanceUID
    )
    assert seg_study["00201206"]["Value"] == [2]  # CT series + SEG series
    assert seg_study["00201208"]["Value"] == [len(CT_SERIES) + 1]
    assert seg_study["00080061"]["Value"] == ["CT", "SEG"]
    assert seg_study["00100010"]["Value"] == [{"Alphabetic": str(HEADERS[SEG].PatientName)}]
    assert seg_study["00081190"]["Value"] == [
        f"{archive_server}/dicomweb/studies/{HEADERS[SEG].StudyInstanceUID}"
    ]


@pytest.mark.parametrize("pattern", ["doe*", "DOE^*", "*oE^*", "D?E^*"])
def test_patient_name_matches_wildcards_whatever_the_case(dicomweb, pattern):
    expected = studies_where(lambda ds: str(ds.PatientName).upper().startswith("DOE^"))

    assert found_studies(dicomweb, PatientName=pattern) == expected
    assert len(expected) == 6


def test_patient_name_without_wildcards_matches_the_whole_name(dicomweb):
    assert found_studies(dicomweb, PatientName="doe^peter") == studies_where(
        lambda ds: str(ds.PatientName) == "Doe^Peter"
    )
    assert found_studies(dicomweb, PatientName="doe") == set()


def test_patient_id_matches_by_keyword_or_by_tag(dicomweb):
    expected = studies_where(lambda ds: ds.PatientID == "77654033")

    assert found_studies(dicomweb, PatientID="77654033") == expected
    assert found_studies(dicomweb, **{"00100020": "77654033"}) == expected
    assert len(expected) == 2


@pytest.mark.parametrize(
    ("criterion", "low", "high"),
    [
        ("20010101", "20010101", "20010101"),
        ("20000101-20031231", "20000101", "20031231"),
        ("-20010101", "00000000", "20010101"),
        ("20030417-", "20030417", "99999999"),
    ],
)
def test_study_date_matches_a_day_or_a_range(dicomweb, criterion, low, high):
    expected = studies_where(lambda ds: low <= ds.get("StudyDate", "") <= high and ds.StudyDate)

    assert found_studies(dicomweb, StudyDate=criterion) == expected
    assert expected


def test_accession_number_and_study_uid_lists_match(dicomweb):
    seg = HEADERS[SEG]
    assert found_studies(dicomweb, AccessionNumber=seg.AccessionNumber) == {seg.StudyInstanceUID}
    two = sorted(studies_where(lambda ds: ds.PatientID == "98890234"))[:2]

    assert found_studies(dicomweb, StudyInstanceUID=",".join(two)) == set(two)
    assert found_studies(dicomweb, StudyInstanceUID="\\".join(two)) == set(two)


def test_a_study_matches_modalities_in_study_through_any_of_its_series(dicomweb):
    found = found_studies(dicomweb, ModalitiesInStudy="SEG")

    assert found == {HEADERS[SEG].StudyInstanceUID}
    assert found_studies(dicomweb, ModalitiesInStudy="CT") == studies_where(
        lambda ds: ds.Modality == "CT"
    )


def test_no_match_is_an_empty_list(dicomweb):
    assert dicomweb.search_for_studies(search_filters={"PatientID": "nobody"}) == []


def test_pages_of_limit_and_offset_cover_all_studies_once(dicomweb):
    every = values(dicomweb.search_for_studies(), "StudyInstanceUID")
    pages = [
        values(dicomweb.search_for_studies(limit=4, offset=offset), "StudyInstanceUID")
        for offset in range(0, len(every) + 4, 4)
    ]

    assert [len(p) for p in pages[:-1]] == [4] * (len(every) // 4) + (
        [len(every) % 4] if len(every) % 4 else []
    )
    assert [uid for page in pages for uid in page] == every


def test_series_of_a_study_and_series_by_modality(dicomweb, archive_server):
    study = HEADERS[SEG].StudyInstanceUID
    series = dicomweb.search_for_series(study_instance_uid=study)

    assert sorted(values(series, "Modality")) == ["CT", "SEG"]
    assert set(values(series, "StudyInstanceUID")) == {study}
    seg_series = HEADERS[SEG].SeriesInstanceUID
    assert f"{archive_server}/dicomweb/studies/{study}/series/{seg_series}" in values(
        series, "RetrieveURL"
    )
    mr = dicomweb.search_for_series(search_filters={"Modality": "MR"})
    expected = {ds.SeriesInstanceUID for ds in HEADERS.values() if ds.Modality == "MR"}
    assert set(values(mr, "SeriesInstanceUID")) == expected
    assert all(values(mr, "StudyDate"))  # study attributes come with series found across studies


def test_instances_of_a_series_come_in_instance_number_order_with_image_size(dicomweb):
    ds = HEADERS[CT_SERIES[0]]
    instances = dicomweb.search_for_instances(
        study_instance_uid=ds.StudyInstanceUID, series_instance_uid=ds.SeriesInstanceUID
    )

    numbers = values(instances, "InstanceNumber")
    assert numbers == sorted(numbers) and len(numbers) == len(CT_SERIES)
    assert set(values(instances, "Rows")) == {512}
    assert set(values(instances, "SOPClassUID")) == {ds.SOPClassUID}


def test_instances_match_on_sop_instance_uid_and_class_and_show_frames(dicomweb):
    mr = HEADERS[ENHANCED_MR]
    found = dicomweb.search_for_instances(search_filters={"SOPInstanceUID": mr.SOPInstanceUID})

    assert values(found, "NumberOfFrames") == [10]
    assert values(found, "Columns") == [mr.Columns]
    by_class = dicomweb.search_for_instances(
        study_instance_uid=HEADERS[SEG].StudyInstanceUID,
        search_filters={"SOPClassUID": HEADERS[SEG].SOPClassUID},
    )
    assert values(by_class, "SOPInstanceUID") == [HEADERS[SEG].SOPInstanceUID]


def test_includefield_adds_attributes_outside_the_index(dicomweb):
    ds = HEADERS[CT_SERIES[0]]
    found = dicomweb.search_for_instances(
        search_filters={"SOPInstanceUID": ds.SOPInstanceUID},
        fields=["SliceThickness", "00200032"],
    )

    assert found[0]["00180050"]["Value"] == [float(ds.SliceThickness)]
    assert found[0]["00200032"]["Value"] == [float(v) for v in ds.ImagePositionPatient]
    everything = dicomweb.search_for_instances(
        search_filters={"SOPInstanceUID": ds.SOPInstanceUID}, fields=["all"]
    )
    assert everything[0]["00280030"]["Value"] == [float(v) for v in ds.PixelSpacing]


def test_fuzzymatching_is_accepted(dicomweb):
    assert found_studies(dicomweb, PatientName="Doe^Peter") == found_studies(
        dicomweb, PatientName="Doe^Peter", fuzzymatching="true"
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("NotAnAttribute=1", "Unknown query parameter 'NotAnAttribute'"),
        ("SliceThickness=1", "Matching on SliceThickness is not supported"),
        ("SOPInstanceUID=1.2.3", "cannot be matched in a study-level search"),
        ("StudyDate=2001-01-01", "a range is 'A-B', '-B' or 'A-'"),
        ("StudyDate=2001", "expected a date YYYYMMDD"),
        ("limit=ten", "limit='ten'"),
        ("includefield=NoSuchKeyword", "Unknown query parameter 'NoSuchKeyword'"),
    ],
)
def test_a_query_the_archive_cannot_answer_is_a_clear_400(dicomweb, archive_server, query, words):
    response = dicomweb._session.get(f"{archive_server}/dicomweb/studies?{query}")

    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_an_accept_other_than_dicom_json_is_406(dicomweb, archive_server):
    response = dicomweb._session.get(
        f"{archive_server}/dicomweb/studies", headers={"Accept": "application/dicom+xml"}
    )

    assert response.status_code == 406
