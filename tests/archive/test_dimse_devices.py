"""Managing the known DICOM devices: `manage.py dicom_devices` and the Django admin, audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.services import user_create
from archive.models import DicomDevice
from audit.models import AuditEvent, AuditObject

NETWORK_CONFIGURATION = "110128"


def devices(*args: str) -> str:
    out = StringIO()
    call_command("dicom_devices", *args, stdout=out)
    return out.getvalue()


def test_the_command_adds_lists_updates_and_removes_devices_and_audits_each_change(
    db: None,
) -> None:
    devices("add", "MODALITY1", "--host", "10.0.0.5", "--store")
    devices("add", "PACS", "--host", "10.0.0.9", "--port", "104", "--move-destination")
    devices("update", "MODALITY1", "--query", "--no-store", "--description", "CT room 2")
    listing = devices("list")
    devices("remove", "PACS")

    assert "MODALITY1" in listing and "10.0.0.9:104" in listing and "move-destination" in listing
    modality = DicomDevice.objects.get()
    assert (modality.may_store, modality.may_query, modality.description) == (
        False,
        True,
        "CT room 2",
    )
    changes = AuditEvent.objects.filter(event_type=NETWORK_CONFIGURATION).order_by("pk")
    assert [event.action for event in changes] == ["C", "C", "U", "D"]
    assert AuditObject.objects.filter(kind="device", name="PACS").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "A" * 17], "at most 16"),
        (["add", "BAD\\AE"], "no backslash"),
        (["add", "   "], "not a space"),
        (["add", "DEST", "--move-destination"], "needs a host and a port"),
        (["add", "PORTY", "--port", "70000"], "65535"),
        (["update", "NOBODY", "--store"], "No DICOM device"),
        (["remove", "NOBODY"], "No DICOM device"),
    ],
)
def test_the_command_refuses_bad_input_with_a_clear_error(
    db: None, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        devices(*args)
    assert not DicomDevice.objects.exists()


def test_the_command_refuses_a_second_device_with_the_same_ae_title(db: None) -> None:
    devices("add", "MODALITY1", "--store")
    with pytest.raises(CommandError, match="already exists"):
        devices("add", " MODALITY1 ", "--query")


def staff_client(role: str) -> Client:
    user_create(username=f"{role}-user", password="pw-for-tests", roles=[role])
    client = Client()
    client.force_login(User.objects.get(username=f"{role}-user"))
    return client


def test_the_admin_role_manages_devices_in_the_django_admin_and_each_change_is_audited(
    db: None,
) -> None:
    client = staff_client("admin")
    form = {
        "ae_title": "WORKSTATION",
        "description": "reading room",
        "enabled": "on",
        "host": "10.0.0.7",
        "port": "11112",
        "may_query": "on",
        "may_retrieve": "on",
        "is_move_destination": "on",
        "_save": "Save",
    }
    added = client.post("/admin/archive/dicomdevice/add/", form)
    bad = client.post("/admin/archive/dicomdevice/add/", {**form, "ae_title": "NO\\PE"})
    device = DicomDevice.objects.get()
    deleted = client.post(f"/admin/archive/dicomdevice/{device.pk}/delete/", {"post": "yes"})

    assert added.status_code == 302
    assert bad.status_code == 200 and b"no backslash" in bad.content
    assert deleted.status_code == 302 and not DicomDevice.objects.exists()
    changes = AuditEvent.objects.filter(event_type=NETWORK_CONFIGURATION).order_by("pk")
    assert [(e.action, e.username) for e in changes] == [
        ("C", "admin-user"),
        ("D", "admin-user"),
    ]


def test_other_roles_cannot_see_devices_in_the_admin(db: None) -> None:
    DicomDevice.objects.create(ae_title="MODALITY1", may_store=True)
    for role in ("reviewer", "radiologist", "modality"):
        response = staff_client(role).get("/admin/archive/dicomdevice/")
        assert response.status_code in (302, 403), role


def test_the_demo_admits_dcmtks_default_ae_titles_from_this_machine_once(db: None) -> None:
    from archive.services.demo import demo_devices_register

    DicomDevice.objects.create(ae_title="FINDSCU", host="10.0.0.8", may_query=False)
    first = demo_devices_register()
    second = demo_devices_register()

    assert first == ["ECHOSCU", "STORESCU", "MOVESCU", "GETSCU"] and second == []
    store = DicomDevice.objects.get(ae_title="STORESCU")
    assert (store.host, store.may_store, store.may_query) == ("127.0.0.1", True, False)
    mover = DicomDevice.objects.get(ae_title="MOVESCU")
    assert (mover.is_move_destination, mover.port) == (True, 11113)
    # A device the site set up itself is left as it is.
    assert DicomDevice.objects.get(ae_title="FINDSCU").host == "10.0.0.8"
