"""The C-STORE listener as a real process, driven by dcmtk's echoscu/storescu and pynetdicom."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from pydicom.dataset import Dataset

from archive.models import DicomDevice, Instance
from tests.conftest import SHARED_DICOM, malformed_dicom_files, readable_dicom_files
from tests.processes import free_port, port_answers, product_env, running, wait_until

ROOT = Path(__file__).resolve().parents[2]

# storescu proposes uncompressed syntaxes unless told otherwise, and decompresses nothing: it needs
# the option that puts the file's own transfer syntax first, together with -R (only the presentation
# contexts the files need). One storescu run per transfer syntax keeps every file as it is.
STORESCU_PROPOSE = {
    "1.2.840.10008.1.2": "-xi",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1": "-xe",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.2": "-xb",  # Explicit VR Big Endian
    "1.2.840.10008.1.2.1.99": "-xd",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.4.50": "-xy",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51": "-xx",  # JPEG Extended
    "1.2.840.10008.1.2.4.70": "-xs",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": "-xt",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "-xu",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90": "-xv",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91": "-xw",  # JPEG 2000
    "1.2.840.10008.1.2.5": "-xr",  # RLE Lossless
}
# VRs whose File Meta elements have a 4-byte length after 2 reserved bytes.
LONG_VRS = {
    vr.encode()
    for vr in ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
}


def dcmtk(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"dcmtk's {tool} is not installed; install it with: apt-get install -y dcmtk")
    return path


@pytest.fixture(scope="module")
def listener(django_db_setup: None, django_db_blocker: object) -> Iterator[int]:
    """`manage.py dicom_listener` as a subprocess on the test database; yields its port."""
    port = free_port()
    args = [sys.executable, "manage.py", "dicom_listener", "--port", str(port), "--grace", "5"]
    with running(args, log_name="dicom-listener.log", env=product_env()) as proc:
        wait_until(lambda: port_answers(port), what="the DICOM listener's port", process=proc)
        yield port
        proc.terminate()
        assert proc.wait(timeout=20) == 0, "the listener did not stop cleanly on SIGTERM"


def known_sender(ae_title: str = "TESTSCU") -> None:
    """Register the tests' sending device: the listener refuses unknown calling AE titles."""
    DicomDevice.objects.get_or_create(ae_title=ae_title, defaults={"may_store": True})


def storescu(port: int, files: list[Path], transfer_syntax: str) -> str:
    """Send `files` in one association, proposing their own transfer syntax; returns the log."""
    known_sender()
    result = subprocess.run(
        [
            dcmtk("storescu"),
            "-v",
            "-R",
            "-nh",
            STORESCU_PROPOSE[transfer_syntax],
            "-aet",
            "TESTSCU",
            "-aec",
            settings.DICOM_AE_TITLE,
            "127.0.0.1",
            str(port),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def transfer_syntax_of(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def sop_instance_uid_of(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def dataset_bytes(data: bytes) -> bytes:
    """Everything after the File Meta group of a Part 10 file."""
    pos = 132
    while struct.unpack_from("<H", data, pos)[0] == 0x0002:
        if data[pos + 4 : pos + 6] in LONG_VRS:
            pos += 12 + struct.unpack_from("<I", data, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", data, pos + 6)[0]
    return data[pos:]


def stored_bytes(sop_instance_uid: str) -> bytes:
    instance = Instance.objects.get(sop_instance_uid=sop_instance_uid)
    with default_storage.open(instance.file.name) as fp:
        return fp.read()


def comparable(ds: Dataset) -> dict[object, object]:
    """Elements as dcmtk sends them: no group lengths or trailing padding, odd values padded."""
    elements: dict[object, object] = {}
    for element in ds:
        if element.tag.element == 0x0000 or element.tag == 0xFFFCFFFC:
            continue
        value = element.value
        if element.VR == "SQ":
            value = [comparable(item) for item in value]
        elif isinstance(value, bytes) and len(value) % 2:
            value += b"\x00"
        elements[element.tag] = value
    return elements


@pytest.mark.dimse
def test_it_answers_c_echo(listener: int, transactional_db: None) -> None:
    known_sender()
    result = subprocess.run(
        [
            *(dcmtk("echoscu"), "-aet", "TESTSCU", "-aec", settings.DICOM_AE_TITLE),
            *("127.0.0.1", str(listener)),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.dimse
def test_it_stores_every_file_storescu_sends_in_its_own_transfer_syntax(
    listener: int, transactional_db: None
) -> None:
    by_syntax: dict[str, list[Path]] = {}
    for path in readable_dicom_files():
        by_syntax.setdefault(transfer_syntax_of(path), []).append(path)
    first_sent: dict[str, Path] = {}
    for syntax, files in by_syntax.items():
        log = storescu(listener, files, syntax)
        assert "Converting transfer syntax" not in log or _no_real_conversion(log), log
        for path in files:
            first_sent.setdefault(sop_instance_uid_of(path), path)

    assert Instance.objects.count() == len(first_sent)  # copies of one SOP Instance: stored once
    for uid, path in first_sent.items():
        instance = Instance.objects.get(sop_instance_uid=uid)
        assert instance.transfer_syntax_uid == transfer_syntax_of(path), path
        stored = pydicom.dcmread(default_storage.open(instance.file.name))
        assert comparable(stored) == comparable(pydicom.dcmread(path)), path


def _no_real_conversion(log: str) -> bool:
    """storescu logs 'Converting transfer syntax: X -> X' even when nothing changes."""
    for line in log.splitlines():
        if "Converting transfer syntax:" in line:
            source, _, target = line.split(":", 2)[-1].partition("->")
            if source.strip() != target.strip():
                return False
    return True


@pytest.mark.dimse
def test_it_refuses_a_malformed_file_and_stores_the_rest_of_the_association(
    listener: int, transactional_db: None
) -> None:
    good = [
        SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
        SHARED_DICOM / "mr" / "pydicom_MR_small.dcm",
    ]
    bad = SHARED_DICOM / "malformed" / "badVR.dcm"
    log = storescu(listener, [good[0], bad, good[1]], "1.2.840.10008.1.2.1")

    assert "Received Store Response (Error: DataSetDoesNotMatchSOPClass)" in log
    assert log.count("Received Store Response (Success)") == 2
    assert set(Instance.objects.values_list("sop_instance_uid", flat=True)) == {
        sop_instance_uid_of(path) for path in good
    }


@pytest.mark.dimse
def test_it_answers_success_to_a_duplicate_and_stores_it_once(
    listener: int, transactional_db: None
) -> None:
    path = SHARED_DICOM / "other_modalities" / "XA1_angio_J2KR.dcm"
    storescu(listener, [path], transfer_syntax_of(path))
    log = storescu(listener, [path, path], transfer_syntax_of(path))

    assert log.count("Received Store Response (Success)") == 2
    assert Instance.objects.count() == 1


def one_file_per_transfer_syntax() -> list[Path]:
    chosen: dict[str, Path] = {}
    for path in readable_dicom_files():
        chosen.setdefault(transfer_syntax_of(path), path)
    return list(chosen.values())


@pytest.mark.parametrize(
    "path", one_file_per_transfer_syntax(), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_it_stores_the_data_set_bytes_exactly_as_received(
    listener: int, transactional_db: None, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pynetdicom sends the file's data set bytes unchanged (dcmtk re-encodes them)."""
    from pynetdicom import AE, _config

    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    header = pydicom.dcmread(path, stop_before_pixels=True)
    known_sender()
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(header.SOPClassUID, header.file_meta.TransferSyntaxUID)
    assoc = ae.associate("127.0.0.1", listener, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    try:
        status = assoc.send_c_store(path)
    finally:
        assoc.release()

    assert status.Status == 0x0000
    assert dataset_bytes(stored_bytes(header.SOPInstanceUID)) == dataset_bytes(path.read_bytes())


def test_it_answers_a_refusal_with_its_failure_code_and_reason(
    listener: int, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynetdicom import AE, _config

    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    path = next(p for p in malformed_dicom_files() if p.name == "MR_truncated.dcm")
    header = pydicom.dcmread(path, stop_before_pixels=True)
    known_sender()
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(header.SOPClassUID, header.file_meta.TransferSyntaxUID)
    assoc = ae.associate("127.0.0.1", listener, ae_title=settings.DICOM_AE_TITLE)
    try:
        status = assoc.send_c_store(path)
    finally:
        assoc.release()

    assert status.Status == 0xC000
    assert "truncated" in status.ErrorComment
    assert not Instance.objects.exists()
