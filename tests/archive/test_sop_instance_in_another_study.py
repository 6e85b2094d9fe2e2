"""An instance whose SOP Instance UID is already stored in another study is refused with its
reason (issue 10, item 2). Before, it was answered 200 with a RetrieveURL that gave 404, and its
study never appeared: the archive said it stored what it had not."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.uid import generate_uid

from archive.models import Instance, Study
from tests.archive.stow_helpers import failed_reasons, multipart_body, referenced_uids
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


def same_instance_in_a_new_study() -> bytes:
    ds = pydicom.dcmread(CT_SMALL)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def stow(client, parts: list[bytes]):
    body, content_type = multipart_body(parts)
    return client.generic("POST", "/dicomweb/studies", data=body, content_type=content_type)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("together", [False, True], ids=["later", "in-one-request"])
def test_a_sop_instance_uid_of_another_study_is_refused_with_its_reason(client_for, together):
    sender = client_for("modality")
    original, moved = CT_SMALL.read_bytes(), same_instance_in_a_new_study()

    if together:
        response = stow(sender, [original, moved])
    else:
        assert stow(sender, [original]).status_code == 200
        response = stow(sender, [moved])

    assert response.status_code == (202 if together else 409)
    [(code, reason)] = failed_reasons(response.json())
    assert code == 0xA900
    assert "another study" in reason
    assert len(referenced_uids(response.json())) == (1 if together else 0)
    # Nothing was reported stored that is not: one study, one instance, as first sent.
    assert Study.objects.count() == 1
    assert Instance.objects.get().series.study.study_instance_uid == (
        pydicom.dcmread(CT_SMALL).StudyInstanceUID
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_instance_sent_again_to_its_own_study_is_still_accepted(client_for):
    sender = client_for("modality")
    assert stow(sender, [CT_SMALL.read_bytes()]).status_code == 200

    again = stow(sender, [CT_SMALL.read_bytes()])

    assert again.status_code == 200
    assert len(referenced_uids(again.json())) == 1
