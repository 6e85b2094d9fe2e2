"""C-FIND, C-MOVE and C-GET against the listener process, driven by dcmtk's findscu, movescu and
getscu, with a dcmtk storescp as the move destination."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.conf import settings
from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
)

from archive.models import DicomDevice
from archive.services.ingest import instance_ingest
from audit.models import AuditEvent
from tests.archive.test_cstore import dcmtk, listener  # noqa: F401 - listener: a fixture
from tests.conftest import SHARED_DICOM
from tests.processes import free_port, port_answers, running, wait_until

pytestmark = pytest.mark.dimse

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
MR = SHARED_DICOM / "mr" / "pydicom_MR_small.dcm"
XA_J2K = SHARED_DICOM / "other_modalities" / "XA1_angio_J2KR.dcm"  # JPEG 2000 Lossless


def uid_of(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)


@pytest.fixture
def archive(transactional_db: None) -> None:
    """The three studies in the archive, and a workstation allowed to query and retrieve."""
    for path in (CT, MR, XA_J2K):
        with open(path, "rb") as fp:
            instance_ingest(fp=fp, source="import")
    DicomDevice.objects.create(ae_title="QRSCU", may_query=True, may_retrieve=True)


def run(tool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [dcmtk(tool), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def findscu(port: int, model: str, keys: list[str], out: Path) -> list[Dataset]:
    """findscu's answers, extracted to files and read back."""
    out.mkdir(exist_ok=True)
    keys_args = [a for k in keys for a in ("-k", k)]
    result = run(
        "findscu",
        *(model, "-X", "-od", str(out), "-aet", "QRSCU", "-aec", settings.DICOM_AE_TITLE),
        *keys_args,
        *("127.0.0.1", str(port)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]


def test_findscu_study_root_finds_the_studies_that_match(
    listener: int,  # noqa: F811
    archive: None,
    tmp_path: Path,
) -> None:
    keys = ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName", "ModalitiesInStudy"]
    everything = findscu(listener, "-S", keys, tmp_path / "all")
    mr_only = findscu(listener, "-S", [*keys[:3], "ModalitiesInStudy=MR"], tmp_path / "mr")
    by_date = findscu(listener, "-S", [*keys, "StudyDate=20040801-20040831"], tmp_path / "dates")
    by_name = findscu(listener, "-S", [*keys[:2], "PatientName=compressed*ct*"], tmp_path / "pn")

    assert {a.StudyInstanceUID for a in everything} == {uid_of(p) for p in (CT, MR, XA_J2K)}
    assert [a.StudyInstanceUID for a in mr_only] == [uid_of(MR)]
    assert {a.StudyInstanceUID for a in by_date} == {uid_of(MR), uid_of(XA_J2K)}
    assert [str(a.PatientName) for a in by_name] == ["CompressedSamples^CT1"]
    answer = mr_only[0]
    # Only the keys asked for (and the level), no other patient data.
    assert set(answer.dir()) == {
        "QueryRetrieveLevel",
        "SpecificCharacterSet",
        "StudyInstanceUID",
        "PatientName",
        "ModalitiesInStudy",
    }
    assert "StudyDate" not in answer
    queries = AuditEvent.objects.filter(event_id="110112", peer="QRSCU@127.0.0.1")
    assert queries.count() == 4  # one row per C-FIND request, with its matching keys
    assert queries.filter(participants__identifier="ModalitiesInStudy=MR").exists()


def test_findscu_patient_root_finds_patients_then_their_series_and_images(
    listener: int,  # noqa: F811
    archive: None,
    tmp_path: Path,
) -> None:
    patients = findscu(
        listener,
        "-P",
        [
            "QueryRetrieveLevel=PATIENT",
            "PatientName=*^?r1",
            "PatientSex",
        ],
        tmp_path / "patients",
    )
    series = findscu(
        listener,
        "-P",
        [
            "QueryRetrieveLevel=SERIES",
            "PatientID=1CT1",
            f"StudyInstanceUID={uid_of(CT)}",
            "SeriesInstanceUID",
            "Modality",
        ],
        tmp_path / "series",
    )
    images = findscu(
        listener,
        "-P",
        ["QueryRetrieveLevel=IMAGE", "Modality=XA", "SOPInstanceUID", "NumberOfFrames"],
        tmp_path / "images",
    )

    assert [p.PatientID for p in patients] == ["4MR1"]  # ? is one character, any case
    assert [s.Modality for s in series] == ["CT"]
    xa = pydicom.dcmread(XA_J2K, stop_before_pixels=True)
    assert [i.SOPInstanceUID for i in images] == [xa.SOPInstanceUID]


@pytest.fixture
def storescp(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """dcmtk's storescp as a move destination that accepts only uncompressed syntaxes."""
    port = free_port()
    out = tmp_path / "received"
    out.mkdir()
    args = [dcmtk("storescp"), "-aet", "DEST", "-od", str(out), str(port)]
    with running(args, log_name="storescp.log", env=dict(os.environ)) as proc:
        wait_until(lambda: port_answers(port), what="storescp's port", process=proc)
        yield port, out
        proc.terminate()


def movescu(port: int, destination: str, study_uid: str) -> subprocess.CompletedProcess[str]:
    return run(
        "movescu",
        *("-v", "-S", "-aet", "QRSCU", "-aec", settings.DICOM_AE_TITLE, "-aem", destination),
        *("-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study_uid}"),
        *("127.0.0.1", str(port)),
    )


def pixels(path: Path) -> np.ndarray:
    return pydicom.dcmread(path).pixel_array  # type: ignore[no-any-return]


def test_movescu_sends_a_study_to_a_registered_destination_decompressing_for_it(
    listener: int,  # noqa: F811
    archive: None,
    storescp: tuple[int, Path],
) -> None:
    port, received = storescp
    DicomDevice.objects.create(
        ae_title="DEST", host="127.0.0.1", port=port, is_move_destination=True
    )

    for path in (XA_J2K, CT):
        result = movescu(listener, "DEST", uid_of(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Final Move Response (Success)" in result.stdout + result.stderr

    files = sorted(received.iterdir())
    assert len(files) == 2
    by_uid = {str(pydicom.dcmread(f).SOPInstanceUID): f for f in files}
    for path in (XA_J2K, CT):
        sent = by_uid[str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)]
        assert np.array_equal(pixels(sent), pixels(path)), path.name
    assert pydicom.dcmread(by_uid[next(iter(by_uid))]).file_meta.TransferSyntaxUID in (
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2",
    )
    moves = AuditEvent.objects.filter(event_id="110104", action="R", outcome=0)
    assert moves.count() == 2


def test_movescu_to_an_unknown_destination_is_answered_move_destination_unknown(
    listener: int,  # noqa: F811
    archive: None,
) -> None:
    DicomDevice.objects.create(ae_title="NOTDEST", host="127.0.0.1", port=1, may_store=True)

    for destination in ("NOWHERE", "NOTDEST"):
        result = movescu(listener, destination, uid_of(CT))
        assert "MoveDestinationUnknown" in result.stdout + result.stderr, destination


def test_getscu_receives_the_study_on_its_own_association(
    listener: int,  # noqa: F811
    archive: None,
    tmp_path: Path,
) -> None:
    result = run(
        "getscu",
        *("-S", "-aet", "QRSCU", "-aec", settings.DICOM_AE_TITLE, "-od", str(tmp_path)),
        *("-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={uid_of(MR)}"),
        *("127.0.0.1", str(listener)),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    files = list(tmp_path.glob("MR*"))
    assert len(files) == 1, result.stdout + result.stderr
    assert np.array_equal(pixels(files[0]), pixels(MR))
    audited = AuditEvent.objects.get(event_id="110104", action="R")
    assert (audited.peer, audited.outcome_description) == (
        "QRSCU@127.0.0.1",
        "C-GET of 1 instances",
    )
    assert ("study", uid_of(MR)) in {(o.kind, o.identifier) for o in audited.participants.all()}


def test_a_store_only_device_is_refused_by_findscu_and_getscu(
    listener: int,  # noqa: F811
    archive: None,
    tmp_path: Path,
) -> None:
    DicomDevice.objects.create(ae_title="STOREONLY", may_store=True)
    find = run(
        "findscu",
        *("-v", "-S", "-aet", "STOREONLY", "-aec", settings.DICOM_AE_TITLE),
        *("-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID"),
        *("127.0.0.1", str(listener)),
    )
    get = run(
        "getscu",
        *("-S", "-aet", "STOREONLY", "-aec", settings.DICOM_AE_TITLE, "-od", str(tmp_path)),
        *("-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={uid_of(MR)}"),
        *("127.0.0.1", str(listener)),
    )

    # dcmtk does not name the general status 0x0124 (Refused: Not Authorised) for C-FIND.
    assert "Final Find Response (Unknown Status: 0x124)" in find.stderr, find.stderr
    assert get.returncode != 0
    assert not list(tmp_path.glob("MR*"))
    refusals = AuditEvent.objects.filter(event_id="110113", outcome=4)
    assert refusals.exists()


def c_find(port: int, model: str, identifier: Dataset) -> list[tuple[int, Dataset | None]]:
    ae = AE(ae_title="QRSCU")
    ae.add_requested_context(model)
    assoc = ae.associate("127.0.0.1", port, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    try:
        return [(int(s.Status), a) for s, a in assoc.send_c_find(identifier, model)]
    finally:
        assoc.release()


def test_malformed_identifiers_get_a_failure_status_and_the_listener_goes_on(
    listener: int,  # noqa: F811
    archive: None,
) -> None:
    bad_level = Dataset()
    bad_level.QueryRetrieveLevel = "EVERYTHING"
    patient_in_study_root = Dataset()
    patient_in_study_root.QueryRetrieveLevel = "PATIENT"
    bad_date = Dataset()
    bad_date.QueryRetrieveLevel = "STUDY"
    bad_date.StudyDate = "2004-13-45"
    good = Dataset()
    good.QueryRetrieveLevel = "STUDY"
    good.StudyInstanceUID = uid_of(CT)

    study_root = StudyRootQueryRetrieveInformationModelFind
    assert c_find(listener, study_root, bad_level)[-1][0] == 0xA900
    assert c_find(listener, study_root, patient_in_study_root)[-1][0] == 0xA900
    assert c_find(listener, study_root, bad_date)[-1][0] == 0xC000
    answers = c_find(listener, PatientRootQueryRetrieveInformationModelFind, good)
    assert [status for status, _ in answers] == [0xFF00, 0x0000]
    assert AuditEvent.objects.filter(event_id="110112").exists()


def test_a_cancelled_c_find_stops_with_a_cancel_status(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    from django.utils import timezone

    from archive.models import Patient, Study

    DicomDevice.objects.create(ae_title="QRSCU", may_query=True)
    patient = Patient.objects.create(patient_id="P1", patient_name="MANY^STUDIES")
    Study.objects.bulk_create(
        Study(study_instance_uid=f"1.2.3.{n}", patient=patient, last_instance_at=timezone.now())
        for n in range(3000)
    )
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.StudyInstanceUID = ""
    identifier.PatientName = ""

    ae = AE(ae_title="QRSCU")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate("127.0.0.1", listener, ae_title=settings.DICOM_AE_TITLE)
    statuses = []
    try:
        for status, _ in assoc.send_c_find(identifier, StudyRootQueryRetrieveInformationModelFind):
            statuses.append(int(status.Status))
            if len(statuses) == 1:
                assoc.send_c_cancel(1, assoc.accepted_contexts[0].context_id)
    finally:
        assoc.release()

    assert statuses[-1] == 0xFE00
    assert len(statuses) < 3000
