"""Real DICOMweb clients for the read-side tests: dicomweb-client and a plain requests session."""

from __future__ import annotations

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient

CORNERSTONE_ACCEPT = "multipart/related; type=application/octet-stream; transfer-syntax=*"


class _HostWithPort(requests.adapters.HTTPAdapter):
    """dicomweb-client sends `Host: 127.0.0.1` without the port, so absolute URLs built from
    Host would lose it; a browser (OHIF) sends the port. Put it back, as a browser would."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        request.headers["Host"] = requests.utils.urlparse(request.url).netloc
        return super().send(request, **kwargs)


def reader_session(token: str | None) -> requests.Session:
    session = requests.Session()
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    session.mount("http://", _HostWithPort())
    return session


def dicomweb_client(base_url: str, token: str | None) -> DICOMwebClient:
    """A dicomweb-client on the archive; `.root` is the DICOMweb root URL, for plain requests."""
    client = DICOMwebClient(f"{base_url}/dicomweb", session=reader_session(token))
    client.root = f"{base_url}/dicomweb"  # type: ignore[attr-defined]
    return client


def multipart_parts(response: requests.Response) -> list[tuple[dict[str, str], bytes]]:
    """(headers, body) of each part of a multipart/related response, bytes untouched."""
    params = dict(p.strip().split("=", 1) for p in response.headers["Content-Type"].split(";")[1:])
    delimiter = b"--" + params["boundary"].strip('"').encode()
    parts = []
    for chunk in response.content.split(b"\r\n" + delimiter)[:-1]:
        chunk = chunk.removeprefix(delimiter)
        head, _, body = chunk.partition(b"\r\n\r\n")
        headers = dict(
            line.split(": ", 1) for line in head.decode("latin-1").split("\r\n") if ": " in line
        )
        parts.append((headers, body))
    return parts


def uids(path) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
