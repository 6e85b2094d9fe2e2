"""An access to patient data whose audit row cannot be written is refused (503), logged without
patient data; every row also goes out as one JSON line in the A.5 structure, to the audit file or
syslog, and never to the application console."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.log_handlers import audit_handler
from tests.audit.helpers import PATIENT_ID, stored_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_inserts_fail():
    """A real database refusal of every audit insert, for this test's transaction only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_audit_down() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit storage down'; END; $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
        )


def test_a_read_that_cannot_be_audited_is_refused_and_logged_without_patient_data(
    client_for, audit_inserts_fail, caplog
):
    study, _ = stored_study()
    client = client_for("reviewer")
    with caplog.at_level(logging.ERROR, logger="audit"):
        response = client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata")
    assert response.status_code == 503
    assert response.json()["code"] == "audit_unavailable"
    assert PATIENT_ID.encode() not in response.content
    failures = [r.getMessage() for r in caplog.records if "audit_write_failed" in r.getMessage()]
    assert failures and "110103" in failures[-1]
    assert not any(study.study_instance_uid in m or PATIENT_ID in m for m in failures)


def test_a_login_goes_through_when_its_audit_cannot_be_written(make_user, audit_inserts_fail):
    from django.test import Client

    make_user("reviewer", "rita")
    response = Client().post("/accounts/login/", {"username": "rita", "password": "pw-for-tests"})
    assert response.status_code == 302


def _last_line(path: Path) -> dict:
    return json.loads(path.read_text().splitlines()[-1])


def test_each_row_is_a_json_line_in_the_audit_file_and_not_on_the_console(client_for, capfd):
    target = settings.AUDIT_LOG_TARGET
    assert target.startswith("file:")
    path = Path(target.removeprefix("file:"))
    study, _ = stored_study()
    client = client_for("reviewer")
    capfd.readouterr()
    assert client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata").status_code == 200
    message = _last_line(path)
    assert message["EventIdentification"]["EventID"]["csd-code"] == "110103"
    assert message["EventIdentification"]["EventActionCode"] == "R"
    requestor = message["ActiveParticipant"][0]
    assert requestor["UserID"] == "reviewer-user" and requestor["UserIsRequestor"] is True
    assert message["AuditSourceIdentification"]["AuditSourceID"] == settings.AUDIT_SOURCE_ID
    objects = {o["ParticipantObjectIDTypeCode"]["csd-code"]: o
               for o in message["ParticipantObjectIdentification"]}  # fmt: skip
    assert objects["2"]["ParticipantObjectID"] == PATIENT_ID
    assert objects["110180"]["ParticipantObjectID"] == study.study_instance_uid
    console = capfd.readouterr()
    assert PATIENT_ID not in console.err + console.out
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0


def test_the_lines_can_go_to_syslog(client_for):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    handler = audit_handler(f"syslog:127.0.0.1:{receiver.getsockname()[1]}")
    logger = logging.getLogger("audit.events")
    logger.addHandler(handler)
    try:
        study, _ = stored_study()
        client_for("reviewer").get(f"/dicomweb/studies/{study.study_instance_uid}/metadata")
        datagram = receiver.recv(65536).decode()
        while '"110103"' not in datagram:
            datagram = receiver.recv(65536).decode()
    finally:
        logger.removeHandler(handler)
        handler.close()
        receiver.close()
    message = json.loads(datagram[datagram.index("{") :].rstrip("\x00"))
    assert message["EventIdentification"]["EventID"]["csd-code"] == "110103"


@pytest.mark.parametrize("target", ["file:", "syslog:", "tcp:host", "nowhere"])
def test_a_bad_target_is_refused_at_startup(target):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        audit_handler(target)
