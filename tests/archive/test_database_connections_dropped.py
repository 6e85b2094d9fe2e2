"""After PostgreSQL drops its connections (a restart, a failover, an administrator), the next
request and the next C-STORE are served (issue 10, item 4).

Before, each process's pool handed out the dead connection it held: the first request answered
500 ("terminating connection due to administrator command") and the listener's next C-STORE
failed. The server's side of every connection is ended here as a restart ends it.
"""

from __future__ import annotations

import pytest
import requests
from django.conf import settings
from django.db import connection
from pydicom import dcmread
from pynetdicom import AE, StoragePresentationContexts

from tests.archive.test_cstore import known_sender, listener  # noqa: F401 - listener: a fixture
from tests.archive.test_ingest_without_broker import CT
from tests.conftest import SHARED_DICOM

MR = SHARED_DICOM / "mr" / "pydicom_MR_small.dcm"


def drop_other_connections() -> int:
    """End every other session on the test database, as a PostgreSQL restart does."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def c_store(port: int, path) -> int:
    known_sender()
    ae = AE(ae_title="TESTSCU")
    ae.requested_contexts = StoragePresentationContexts
    assoc = ae.associate("127.0.0.1", port, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    try:
        status = assoc.send_c_store(dcmread(path))
    finally:
        assoc.release()
    return int(status.Status)


def test_the_web_server_answers_the_first_request_after_its_connections_were_dropped(
    transactional_db, app_server, make_user
):
    make_user("radiologist", username="reader")
    session = requests.Session()
    login = f"{app_server}/accounts/login/"
    session.get(login, timeout=30)
    session.post(
        login,
        data={
            "username": "reader",
            "password": "pw-for-tests",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
        timeout=30,
    )
    assert session.get(f"{app_server}/api/me", timeout=30).status_code == 200
    assert drop_other_connections() >= 1

    answers = [session.get(f"{app_server}/api/me", timeout=30).status_code for _ in range(4)]

    assert answers == [200] * 4


@pytest.mark.dimse
def test_the_listener_stores_the_first_instance_after_its_connections_were_dropped(
    transactional_db,
    listener,  # noqa: F811
):
    assert c_store(listener, CT) == 0x0000
    assert drop_other_connections() >= 1

    assert c_store(listener, MR) == 0x0000


def test_an_index_write_whose_connection_drops_is_tried_once_more(
    transactional_db, monkeypatch, ingest_file
):
    from django.db import OperationalError

    from archive.services import ingest as ingest_module

    real = ingest_module.file_index
    calls = []

    def drops_first(file):
        calls.append(file)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(file)

    monkeypatch.setattr(ingest_module, "file_index", drops_first)

    result = ingest_file(CT)

    assert result.created
    assert len(calls) == 2
    assert stored_file_bytes(result.sop_instance_uid) == CT.read_bytes()


def test_a_retried_index_write_whose_first_try_committed_keeps_its_file(
    transactional_db, monkeypatch, ingest_file
):
    # The commit went through but its answer was lost with the connection: the second try finds
    # the row the first wrote, which names this very file.
    from django.db import OperationalError

    from archive.services import ingest as ingest_module

    real = ingest_module.file_index
    calls = []

    def commits_then_drops(file):
        calls.append(file)
        outcome = real(file)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return outcome

    monkeypatch.setattr(ingest_module, "file_index", commits_then_drops)

    result = ingest_file(CT)

    assert stored_file_bytes(result.sop_instance_uid) == CT.read_bytes()


def stored_file_bytes(sop_instance_uid: str) -> bytes:
    from django.core.files.storage import default_storage

    from archive.models import Instance

    instance = Instance.objects.get(sop_instance_uid=sop_instance_uid)
    with default_storage.open(instance.file.name, "rb") as fp:
        return fp.read()
