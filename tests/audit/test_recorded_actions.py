"""Logins, failed logins, role changes, model promotion and an annotator's label save are each
recorded, with who, from where and about what."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.audit.helpers import last_id, objects_of, rows_after
from tests.triage.conftest import small_model_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_a_login_is_recorded_with_the_user_and_address(make_user):
    make_user("reviewer", "rita")
    before = last_id()
    response = Client(REMOTE_ADDR="10.9.8.7").post(
        "/accounts/login/", {"username": "rita", "password": "pw-for-tests"}
    )
    assert response.status_code == 302
    (row,) = [r for r in rows_after(before) if r.event_id == "110114"]
    assert (row.event_type, row.outcome, row.username, row.source) == (
        "110122",
        0,
        "rita",
        "10.9.8.7",
    )


def test_a_failed_login_records_the_name_tried_and_never_the_password(make_user):
    make_user("reviewer", "rita")
    before = last_id()
    Client(REMOTE_ADDR="10.9.8.7").post(
        "/accounts/login/", {"username": "rita", "password": "Wrong-Secret-42"}
    )
    (row,) = [r for r in rows_after(before) if r.event_id == "110114"]
    assert (row.outcome, row.username, row.source) == (4, "rita", "10.9.8.7")
    assert "Wrong-Secret-42" not in str(list(AuditEvent.objects.values()))


def test_a_role_change_and_superuser_flag_are_security_alerts(make_user):
    from django.contrib.auth.models import Group

    from accounts.roles import roles_ensure

    roles_ensure()
    user = make_user("reviewer", "rita")
    before = last_id()
    user.groups.add(Group.objects.get(name="admin"))
    user.is_superuser = True
    user.save()
    rows = rows_after(before)
    assert [(r.event_id, r.event_type) for r in rows] == [("110113", "110136")] * 2
    assert "added to role(s) admin" in rows[0].outcome_description
    assert "is_superuser=True" in rows[1].outcome_description
    assert all(objects_of(r, "user") == [(str(user.pk), "rita")] for r in rows)


def test_a_role_change_in_a_request_names_the_admin_who_made_it(make_user):
    admin = make_user("admin", "boss")
    admin.is_superuser = True
    admin.save()
    target = make_user("reviewer", "rita")
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.force_login(admin)
    before = last_id()
    response = client.post(
        f"/admin/auth/user/{target.pk}/change/",
        {"username": "rita", "is_active": "on", "is_staff": "on", "date_joined_0": "2026-01-01",
         "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01",
         "initial-date_joined_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    rows = [r for r in rows_after(before) if r.event_id == "110113"]
    # The form set is_staff and, naming no groups, took the reviewer role away.
    assert [r.event_type for r in rows] == ["110136", "110136"]
    descriptions = " | ".join(r.outcome_description for r in rows)
    assert "is_staff=True" in descriptions and "removed from role(s) reviewer" in descriptions
    assert all(r.username == "boss" and r.source == "10.0.0.5" for r in rows)


@pytest.fixture
def model_file(small_model_file):  # noqa: F811 - the triage tests' fixture
    return small_model_file


def test_promoting_a_model_is_one_row_naming_the_admin_and_the_version(client_for, model_file):
    from tests.triage.conftest import register

    version = register(model_file, activate=False)
    client = client_for("admin")
    before = last_id()
    response = client.post(f"/api/models/{version.pk}/activate", {}, format="json")
    assert response.status_code == 200, response.content
    (row,) = rows_after(before)
    assert (row.event_id, row.event_type, row.action) == ("110100", "110131", "U")
    assert row.username == "admin-user"
    assert (str(version.pk), "") in objects_of(row, "model")


def test_an_annotators_label_save_is_recorded_under_the_case_pseudonym_and_found_by_patient(
    make_user,
):
    from rest_framework.test import APIClient

    from tests.annotations.label_cases import POSITIVE, case_make, slot_give

    annotator = make_user("annotator", "ann-1")
    case = case_make()
    slot_give(case, annotator)
    client = APIClient()
    client.force_authenticate(annotator)
    before = last_id()
    response = client.put(
        f"/api/annotate/cases/{case.pseudonym}/labels",
        {
            "labels": [{"kind": "class", "value": POSITIVE}],
            "seconds_spent": 3,
            "pre_annotation": "kept",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    (row,) = rows_after(before)
    assert (row.event_id, row.action, row.username) == ("110110", "U", "ann-1")
    (case_object,) = [o for o in row.participants.all() if o.kind == "case"]
    assert case_object.identifier == case.pseudonym and case_object.extra["deidentified"]
    patient_id = case.study.patient.patient_id
    assert [p for p, _ in objects_of(row, "patient")] == [patient_id]
    assert objects_of(row, "study") == [(case.study.study_instance_uid, "")]


def test_retraining_requested_and_finished_and_settings_changed_are_software_configuration(
    make_user,
):
    from ml.evaluation_services import training_settings_update
    from ml.training_runs import training_run_request

    admin = make_user("admin", "boss")
    before = last_id()
    training_settings_update(task="chest_xray_pneumonia", actor=admin, target_sensitivity=0.9)
    run = training_run_request(task="chest_xray_pneumonia", mode="scratch", actor=admin)
    run.status = "failed"
    run.save()
    rows = [r for r in rows_after(before) if r.event_id == "110100"]
    assert [(r.event_type, r.action) for r in rows][-3:] == [
        ("110131", "U"),
        ("110131", "C"),
        ("110131", "E"),
    ]
    assert [r.username for r in rows][-3:] == ["boss", "boss", ""]
    assert "failed" in rows[-1].outcome_description
    assert objects_of(rows[-1], "run") == [(str(run.pk), "")]


def test_a_settings_change_through_the_api_is_one_row(client_for):
    client = client_for("admin")
    before = last_id()
    response = client.put(
        "/api/training/settings/chest_xray_pneumonia", {"target_sensitivity": 0.9}, format="json"
    )
    assert response.status_code == 200, response.content
    (row,) = rows_after(before)
    assert (row.event_id, row.event_type, row.username) == ("110100", "110131", "admin-user")
    assert ("chest_xray_pneumonia", "") in objects_of(row, "settings")
