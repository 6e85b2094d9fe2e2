"""A multi-hundred-MB study must stream through STOW-RS, never held whole in memory."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
from django.core.files.storage import default_storage
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from archive.models import Instance
from tests.conftest import SHARED_DICOM

PIXEL_MB = 120


def write_large_instance(path: Path) -> None:
    """A real CT header with a 120 MB pixel matrix (7746 x 8124 x 16 bit)."""
    ds = pydicom.dcmread(SHARED_DICOM / "ct" / "pydicom_CT_small.dcm")
    rows, columns = 7746, 8124
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta = FileMetaDataset(ds.file_meta)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns = rows, columns
    ds.PixelData = np.zeros((rows, columns), dtype=np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def write_multipart(instance: Path, body: Path, boundary: str) -> None:
    with open(body, "wb") as out, open(instance, "rb") as src:
        out.write(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.write(f"\r\n--{boundary}--\r\n".encode())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_large_instance_is_streamed_to_storage(live_server, client_for, tmp_path, make_user):
    from accounts.services import token_issue

    instance, body = tmp_path / "large.dcm", tmp_path / "body.bin"
    write_large_instance(instance)
    write_multipart(instance, body, "large-boundary")
    make_user("modality", "sender")
    headers = {
        "Authorization": f"Bearer {token_issue(username='sender')}",
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=large-boundary',
    }

    tracemalloc.start()
    try:
        with open(body, "rb") as data:
            response = requests.post(
                f"{live_server.url}/dicomweb/studies", data=data, headers=headers
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200, response.text[:500]
    assert peak < 16 * 1024 * 1024, f"peak Python allocation {peak / 2**20:.0f} MB"
    stored = Instance.objects.get()
    assert stored.file_size == instance.stat().st_size > PIXEL_MB * 2**20
    with default_storage.open(stored.file.name, "rb") as fp, open(instance, "rb") as original:
        while chunk := original.read(4 * 2**20):
            assert fp.read(len(chunk)) == chunk
