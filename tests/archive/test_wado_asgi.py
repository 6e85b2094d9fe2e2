"""WADO-RS bodies stream under ASGI, as the product serves them: Django hands each chunk on as it
is read, and never reads a whole body into memory first (what it does, with a warning in the web
log, when a streaming response gives it a synchronous iterator under ASGI)."""

from __future__ import annotations

import warnings

import pydicom
import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from tests.conftest import SHARED_DICOM

CT_SLICES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))


@pytest.fixture
def asgi_reader(transactional_db, make_user):
    from accounts.services import token_issue

    user = make_user("reviewer")
    return AsyncClient(), f"Bearer {token_issue(username=user.username)}"


def asgi_get(reader: tuple[AsyncClient, str], url: str, accept: str) -> tuple[int, bytes]:
    client, authorization = reader

    async def get() -> tuple[int, bytes]:
        response = await client.get(url, headers={"Accept": accept, "Authorization": authorization})
        chunks = [chunk async for chunk in response] if response.streaming else [response.content]
        return response.status_code, b"".join(chunks)

    return async_to_sync(get)()


@pytest.mark.parametrize(
    "accept",
    [
        'multipart/related; type="application/dicom"; transfer-syntax=*',
        "application/dicom; transfer-syntax=*",
    ],
)
def test_instances_stream_under_asgi_without_warnings(asgi_reader, ingest_file, accept):
    for path in CT_SLICES:
        ingest_file(path)
    first = pydicom.dcmread(CT_SLICES[0], stop_before_pixels=True)
    url = f"/dicomweb/studies/{first.StudyInstanceUID}/series/{first.SeriesInstanceUID}"
    url += f"/instances/{first.SOPInstanceUID}"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, body = asgi_get(asgi_reader, url, accept)

    assert status == 200
    assert CT_SLICES[0].read_bytes() in body


def test_a_series_streams_under_asgi_without_warnings(asgi_reader, ingest_file):
    for path in CT_SLICES:
        ingest_file(path)
    first = pydicom.dcmread(CT_SLICES[0], stop_before_pixels=True)
    url = f"/dicomweb/studies/{first.StudyInstanceUID}/series/{first.SeriesInstanceUID}"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, body = asgi_get(
            asgi_reader, url, 'multipart/related; type="application/dicom"; transfer-syntax=*'
        )

    assert status == 200
    assert all(path.read_bytes() in body for path in CT_SLICES)


def test_a_series_decoded_to_the_default_syntax_streams_under_asgi_without_warnings(
    asgi_reader, ingest_file
):
    """The slices are stored Implicit VR Little Endian: the default is Explicit, so each is
    rewritten while the body streams."""
    for path in CT_SLICES:
        ingest_file(path)
    first = pydicom.dcmread(CT_SLICES[0], stop_before_pixels=True)
    url = f"/dicomweb/studies/{first.StudyInstanceUID}/series/{first.SeriesInstanceUID}"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, body = asgi_get(asgi_reader, url, 'multipart/related; type="application/dicom"')

    assert status == 200
    assert body.count(b"application/dicom; transfer-syntax=1.2.840.10008.1.2.1\r\n") == 3
