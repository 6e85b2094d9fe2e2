"""Who may associate with the listener: our called AE title, known devices, from their host."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    CTImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)

from archive.models import DicomDevice, Instance
from audit.models import AuditEvent
from tests.archive.test_cstore import dcmtk, listener  # noqa: F401
from tests.conftest import SHARED_DICOM
from tests.processes import free_port, port_answers, product_env, running, wait_until

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


def storescu_as(port: int, *, calling: str, called: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [dcmtk("storescu"), "-aet", calling, "-aec", called, "127.0.0.1", str(port), str(CT)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def echoscu_as(port: int, *, calling: str, called: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [dcmtk("echoscu"), "-aet", calling, "-aec", called, "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def device(ae_title: str, **rights: object) -> DicomDevice:
    return DicomDevice.objects.create(ae_title=ae_title, **rights)


@pytest.mark.dimse
def test_an_unknown_caller_cannot_store_a_study_with_dcmtk(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    result = storescu_as(listener, calling="EVIL", called=settings.DICOM_AE_TITLE)

    assert result.returncode != 0
    assert "Calling AE Title Not Recognized" in result.stdout + result.stderr
    assert not Instance.objects.exists()
    alert = wait_until(
        lambda: (
            AuditEvent.objects.filter(event_id="110113", outcome=4, peer__startswith="EVIL@")
            .values("event_type", "peer", "outcome_description")
            .first()
        ),
        what="the rejected association's audit row",
    )
    assert alert == {
        "event_type": "110126",  # Node Authentication
        "peer": "EVIL@127.0.0.1",
        "outcome_description": "association rejected: unknown calling AE title",
    }


@pytest.mark.dimse
def test_a_store_to_another_called_ae_title_is_refused_even_from_a_known_device(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    device("TESTSCU", may_store=True)
    result = storescu_as(listener, calling="TESTSCU", called="NOT_TRIAGE")

    assert result.returncode != 0
    assert "Called AE Title Not Recognized" in result.stdout + result.stderr
    assert not Instance.objects.exists()


@pytest.mark.dimse
def test_evil_to_not_triage_can_neither_echo_nor_store(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    assert echoscu_as(listener, calling="EVIL", called="NOT_TRIAGE").returncode != 0
    assert echoscu_as(listener, calling="EVIL", called=settings.DICOM_AE_TITLE).returncode != 0
    assert storescu_as(listener, calling="EVIL", called="NOT_TRIAGE").returncode != 0
    assert not Instance.objects.exists()


@pytest.mark.dimse
def test_a_known_device_stores_and_echoes(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    device("TESTSCU", may_store=True)
    assert echoscu_as(listener, calling="TESTSCU", called=settings.DICOM_AE_TITLE).returncode == 0
    result = storescu_as(listener, calling="TESTSCU", called=settings.DICOM_AE_TITLE)

    assert result.returncode == 0, result.stdout + result.stderr
    assert Instance.objects.count() == 1
    received = wait_until(
        lambda: AuditEvent.objects.filter(event_id="110104", action="C").first(),
        what="the storing association's audit row",
    )
    assert received.peer == "TESTSCU@127.0.0.1"
    assert {(o.kind, o.identifier) for o in received.participants.all()} == {
        ("patient", "1CT1"),
        ("study", "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"),
    }


def associate(port: int, *, calling: str, called: str, context: str = Verification) -> object:
    ae = AE(ae_title=calling)
    ae.add_requested_context(context)
    return ae.associate("127.0.0.1", port, ae_title=called)


@pytest.mark.dimse
def test_pynetdicom_sees_the_rejection_reasons(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    device("TESTSCU", may_store=True)
    unknown = associate(listener, calling="EVIL", called=settings.DICOM_AE_TITLE)
    wrong_called = associate(listener, calling="TESTSCU", called="NOT_TRIAGE")

    assert unknown.is_rejected  # type: ignore[attr-defined]
    assert unknown.acceptor.primitive.diagnostic == 0x03  # type: ignore[attr-defined]
    assert wrong_called.is_rejected  # type: ignore[attr-defined]
    assert wrong_called.acceptor.primitive.diagnostic == 0x07  # type: ignore[attr-defined]


@pytest.mark.dimse
def test_a_disabled_device_or_one_from_another_host_is_refused(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    device("OFFLINE", may_store=True, enabled=False)
    device("ELSEWHERE", may_store=True, host="192.0.2.10")
    device("LOOPBACK", may_store=True, host="127.0.0.1")

    assert associate(listener, calling="OFFLINE", called="TRIAGE").is_rejected  # type: ignore[attr-defined]
    assert associate(listener, calling="ELSEWHERE", called="TRIAGE").is_rejected  # type: ignore[attr-defined]
    assoc = associate(listener, calling="LOOPBACK", called=settings.DICOM_AE_TITLE)
    assert assoc.is_established  # type: ignore[attr-defined]
    assoc.release()  # type: ignore[attr-defined]


@pytest.mark.dimse
def test_a_store_only_device_is_not_authorised_to_query_or_a_query_only_one_to_store(
    listener: int,  # noqa: F811
    transactional_db: None,
) -> None:
    import pydicom
    from pydicom.dataset import Dataset

    device("STOREONLY", may_store=True)
    device("QUERYONLY", may_query=True)
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""

    ae = AE(ae_title="STOREONLY")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate("127.0.0.1", listener, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    statuses = [
        status.Status
        for status, _ in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind)
    ]
    assoc.release()
    assert statuses == [0x0124]

    ae = AE(ae_title="QUERYONLY")
    ae.add_requested_context(CTImageStorage)
    assoc = ae.associate("127.0.0.1", listener, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    status = assoc.send_c_store(pydicom.dcmread(CT))
    assoc.release()
    assert status.Status == 0x0124
    assert not Instance.objects.exists()


@pytest.fixture(scope="module")
def lab_listener(django_db_setup: None, django_db_blocker: object) -> Iterator[int]:
    """A listener with DICOM_ACCEPT_UNKNOWN_CALLERS=true, as on a lab bench."""
    port = free_port()
    args = [sys.executable, "manage.py", "dicom_listener", "--port", str(port), "--grace", "5"]
    env = {**product_env(), "DICOM_ACCEPT_UNKNOWN_CALLERS": "true"}
    with running(args, log_name="dicom-listener-lab.log", env=env) as proc:
        wait_until(lambda: port_answers(port), what="the lab listener's port", process=proc)
        yield port
        proc.terminate()


@pytest.mark.dimse
def test_a_lab_listener_lets_unknown_callers_store_but_still_checks_the_called_ae_title(
    lab_listener: int,
    transactional_db: None,
) -> None:
    stored = storescu_as(lab_listener, calling="BENCHTOP", called=settings.DICOM_AE_TITLE)
    wrong_called = storescu_as(lab_listener, calling="BENCHTOP", called="NOT_TRIAGE")

    assert stored.returncode == 0, stored.stdout + stored.stderr
    assert wrong_called.returncode != 0
    assert Instance.objects.count() == 1
