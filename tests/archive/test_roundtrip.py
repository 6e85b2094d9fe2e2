"""Every readable test file stored with STOW-RS comes back byte for byte through WADO-RS."""

from __future__ import annotations

import pydicom
import pytest

from tests.archive.dicomweb_helpers import dicomweb_client, uids
from tests.conftest import SHARED_DICOM, readable_dicom_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clients(archive_server, make_user):
    """(sender, reader): dicomweb-clients of a modality that stores and a radiologist who reads."""
    from accounts.services import token_issue

    make_user("modality", "roundtrip-sender")
    make_user("radiologist", "roundtrip-reader")
    return (
        dicomweb_client(archive_server, token_issue(username="roundtrip-sender")),
        dicomweb_client(archive_server, token_issue(username="roundtrip-reader")),
    )


@pytest.mark.parametrize(
    "path", readable_dicom_files(), ids=lambda p: str(p.relative_to(SHARED_DICOM))
)
def test_a_stored_file_is_retrieved_byte_identical(clients, path):
    sender, reader = clients
    original = path.read_bytes()
    study, series, sop = uids(path)

    # The client's own STOW-RS encoder, fed the file's bytes (store_instances would re-encode).
    stored = sender._http_post_multipart_application_dicom(f"{sender.root}/studies", [original])
    assert [item.ReferencedSOPInstanceUID for item in stored.ReferencedSOPSequence] == [sop]

    url = f"{reader.root}/studies/{study}/series/{series}/instances/{sop}"
    response = reader._http_get(
        url, headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    )
    assert list(reader._decode_multipart_message(response, stream=False)) == [original]
    dataset = reader.retrieve_instance(study, series, sop)  # dicomweb-client: transfer-syntax=*
    assert dataset.SOPInstanceUID == sop
    assert dataset == pydicom.dcmread(path)
