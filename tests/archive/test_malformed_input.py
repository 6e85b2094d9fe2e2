"""Malformed instances the fuzzer found (issue 10, items 6 and 8), built by hand one flaw each:
both doors refuse them with a reason and store the rest, never a 5xx or a crashed listener."""

from __future__ import annotations

import io
import logging
import struct
from pathlib import Path

import pytest
from django.conf import settings
from pynetdicom import AE

from archive.dicom.failures import InstanceRefused
from archive.dicom.parse import parse_instance
from archive.models import Instance
from tests.archive.stow_helpers import failed_reasons, multipart_body, referenced_uids
from tests.archive.test_cstore import known_sender
from tests.fuzz.doors import chunked_sending
from tests.fuzz.listener import listener_process  # noqa: F401 - the listener_port fixture

SECONDARY_CAPTURE = b"1.2.840.10008.5.1.4.1.1.7"
EXPLICIT_LE = b"1.2.840.10008.1.2.1"
JPEG_BASELINE = b"1.2.840.10008.1.2.4.50"
GOOD_UIDS = {
    "class": SECONDARY_CAPTURE,
    "sop": b"1.2.99.1",
    "study": b"1.2.99.2",
    "series": b"1.2.99.3",
}
CANNOT_UNDERSTAND, DATASET_DOES_NOT_MATCH, TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC000, 0xA900, 0xC122


def element(tag: int, vr: bytes, value: bytes, *, length: int | None = None) -> bytes:
    """One explicit VR little endian element; `length` overrides the declared length."""
    declared = len(value) if length is None else length
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return head + struct.pack("<2xI", declared) + value
    return head + struct.pack("<H", declared) + value


def item(body: bytes, *, length: int | None = None) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body) if length is None else length) + body


def delimiter(element_number: int) -> bytes:
    return struct.pack("<HHI", 0xFFFE, element_number, 0)


def padded(value: bytes) -> bytes:
    return value + b"\x00" if len(value) % 2 else value


def instance(
    *,
    ts: bytes = EXPLICIT_LE,
    uids: dict[str, bytes] | None = None,
    extra: bytes = b"",
    pixels: bytes | None = None,
) -> bytes:
    """A 4x4 8-bit secondary capture image, every byte written here so a test can break one.

    `extra` is raw elements placed in tag order after the image attributes (tags 0040,xxxx).
    """
    uids = {**GOOD_UIDS, **(uids or {})}
    meta = (
        element(0x00020001, b"OB", b"\x00\x01")
        + element(0x00020002, b"UI", padded(SECONDARY_CAPTURE))
        + element(0x00020003, b"UI", padded(uids["sop"]))
        + element(0x00020010, b"UI", padded(ts))
    )
    us = lambda tag, n: element(tag, b"US", struct.pack("<H", n))  # noqa: E731
    dataset = (
        element(0x00080016, b"UI", padded(uids["class"]))
        + element(0x00080018, b"UI", padded(uids["sop"]))
        + element(0x00080060, b"CS", b"OT")
        + element(0x00100010, b"PN", b"Doe^Jane")
        + element(0x00100020, b"LO", b"FUZZ-1")
        + element(0x0020000D, b"UI", padded(uids["study"]))
        + element(0x0020000E, b"UI", padded(uids["series"]))
        + us(0x00280002, 1)
        + element(0x00280004, b"CS", b"MONOCHROME2 ")
        + us(0x00280010, 4)
        + us(0x00280011, 4)
        + us(0x00280100, 8)
        + us(0x00280101, 8)
        + us(0x00280102, 7)
        + us(0x00280103, 0)
        + extra
        + (pixels if pixels is not None else element(0x7FE00010, b"OB", bytes(range(16))))
    )
    group_length = element(0x00020000, b"UL", struct.pack("<I", len(meta)))
    return b"\x00" * 128 + b"DICM" + group_length + meta + dataset


def good(number: int) -> bytes:
    return instance(uids={"sop": b"1.2.99.1%d" % number})


def nested_sequences(depth: int) -> bytes:
    opening = element(0x0040A730, b"SQ", b"", length=0xFFFFFFFF) + item(b"", length=0xFFFFFFFF)
    return opening * depth + (delimiter(0xE00D) + delimiter(0xE0DD)) * depth


def overrunning_item() -> bytes:
    """A Request Attributes Sequence of 20 bytes whose one item says it holds 60."""
    body = element(0x00400007, b"LO", b"FUZZ")
    return element(0x00400275, b"SQ", item(body, length=len(body) + 40))


def encapsulated(offset_table: bytes) -> bytes:
    fragments = item(offset_table) + item(b"\xff\xd8\xff\xd9")
    return element(0x7FE00010, b"OB", fragments + delimiter(0xE0DD), length=0xFFFFFFFF)


def with_replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, old
    return data.replace(old, new)


# name -> (file, failure code, words of the reason that C-STORE's 64 characters keep)
DATASET_FLAWS = {
    "sequences nested 500 deep": (
        instance(extra=nested_sequences(500)),
        CANNOT_UNDERSTAND,
        "nested more than 32 deep",
    ),
    "an unknown VR": (
        with_replaced(instance(), b"\x08\x00\x60\x00CS", b"\x08\x00\x60\x00ZZ"),
        CANNOT_UNDERSTAND,
        "unknown VR 'ZZ'",
    ),
    "a US value of 3 bytes": (
        with_replaced(instance(), b"\x28\x00\x10\x00US\x02\x00", b"\x28\x00\x10\x00US\x03\x00\x00"),
        CANNOT_UNDERSTAND,
        "(US) holds 3 bytes",
    ),
    "a Basic Offset Table of 6 bytes": (
        instance(ts=JPEG_BASELINE, pixels=encapsulated(bytes(6))),
        CANNOT_UNDERSTAND,
        "Basic Offset Table",
    ),
    "a sequence item longer than its sequence": (
        instance(extra=overrunning_item()),
        CANNOT_UNDERSTAND,
        "An item of sequence (0040,0275) declares",
    ),
}
for _key, _name in [("sop", "SOPInstanceUID"), ("study", "StudyInstanceUID")]:
    DATASET_FLAWS[f"a {_name} with a leading zero"] = (
        instance(uids={_key: b"01.2.99.5"}),
        DATASET_DOES_NOT_MATCH,
        f"{_name} is not a valid UID (a component starts with a zero)",
    )
for _key, _name in [("series", "SeriesInstanceUID"), ("sop", "SOPInstanceUID")]:
    DATASET_FLAWS[f"a {_name} with a trailing newline"] = (
        instance(uids={_key: b"1.2.99.5\n"}),
        DATASET_DOES_NOT_MATCH,
        f"{_name} is not a valid UID (only digits and dots",
    )
DATASET_FLAWS["a SOPClassUID with a leading zero"] = (
    instance(uids={"class": b"01.2.840.10008.5.1.4.1.1.7"}),
    DATASET_DOES_NOT_MATCH,
    "SOPClassUID is not a valid UID (a component starts with a zero)",
)
TRANSFER_SYNTAX_FLAWS = {
    "a SOP Class UID as transfer syntax": SECONDARY_CAPTURE,
    "a made-up transfer syntax": b"1.2.3.4",
    "a transfer syntax with a leading zero": b"01.2.840.10008.1.2.1",
    "a transfer syntax with a trailing newline": b"1.2.840.10008.1.2.1\n",
}


def stow(client, payloads: list[bytes]):  # type: ignore[no-untyped-def]
    body, content_type = multipart_body(payloads)
    return client.generic("POST", "/dicomweb/studies", data=body, content_type=content_type)


@pytest.fixture
def sender(client_for):  # type: ignore[no-untyped-def]
    return client_for("modality")


@pytest.mark.django_db
@pytest.mark.parametrize("flaw", DATASET_FLAWS)
def test_stow_rs_refuses_the_flawed_part_with_its_reason_and_stores_the_others(sender, flaw):
    data, code, words = DATASET_FLAWS[flaw]

    response = stow(sender, [good(1), data, good(2)])

    assert response.status_code == 202, response.content
    [(failure_code, reason)] = failed_reasons(response.json())
    assert (failure_code, words in reason) == (code, True), reason
    assert sorted(referenced_uids(response.json())) == ["1.2.99.11", "1.2.99.12"]
    assert Instance.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("flaw", TRANSFER_SYNTAX_FLAWS)
def test_stow_rs_refuses_a_transfer_syntax_uid_that_is_not_one(sender, flaw):
    data = instance(ts=TRANSFER_SYNTAX_FLAWS[flaw])

    response = stow(sender, [good(1), data])

    assert response.status_code == 202, response.content
    [(failure_code, reason)] = failed_reasons(response.json())
    assert failure_code == TRANSFER_SYNTAX_NOT_SUPPORTED
    assert reason.startswith("Transfer Syntax UID is not a transfer syntax this archive reads")


@pytest.mark.django_db
def test_a_uid_padded_with_a_trailing_nul_is_accepted(sender):
    response = stow(sender, [instance(uids={"sop": b"1.2.99.41"})])  # odd: padded with NUL

    assert response.status_code == 200, response.content
    assert referenced_uids(response.json()) == ["1.2.99.41"]


@pytest.mark.django_db
def test_a_uid_padded_with_a_trailing_space_is_accepted(sender):
    # Not what PS3.5 asks (NUL), but what many devices send: refusing it would refuse their
    # studies whole. The value is read without its padding.
    response = stow(sender, [instance(uids={"sop": b"1.2.99.42 ", "study": b"1.2.99.4 "})])

    assert response.status_code == 200, response.content
    assert referenced_uids(response.json()) == ["1.2.99.42"]


def test_sequences_nested_to_the_limit_are_read() -> None:
    data = instance(extra=nested_sequences(32))

    assert parse_instance(io.BytesIO(data), file_size=len(data)).sop_instance_uid == "1.2.99.1"


@pytest.mark.parametrize("error", [RuntimeError("Doe^Jane"), RecursionError(), KeyError("x")])
def test_an_error_no_check_foresaw_refuses_the_file_and_keeps_values_out_of_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("archive.dicom.parse.dataset_to_json", fail)
    data = good(1)

    with caplog.at_level(logging.INFO), pytest.raises(InstanceRefused) as refused:
        parse_instance(io.BytesIO(data), file_size=len(data))

    assert refused.value.reason.startswith("The data set cannot be read: ")
    assert "Traceback" not in refused.value.reason
    assert "Doe^Jane" not in caplog.text
    assert type(error).__name__ in caplog.text  # what to reproduce it with


def cstore(port: int, files: list[bytes], tmp_path: Path) -> list:  # type: ignore[type-arg]
    """Send each file's data set as it is over one association; the statuses."""
    known_sender()
    ae = AE(ae_title="TESTSCU")
    for ts in (EXPLICIT_LE, JPEG_BASELINE):
        ae.add_requested_context(SECONDARY_CAPTURE.decode(), ts.decode())
    assoc = ae.associate("127.0.0.1", port, ae_title=settings.DICOM_AE_TITLE)
    assert assoc.is_established
    statuses = []
    try:
        with chunked_sending():
            for number, data in enumerate(files):
                path = tmp_path / f"{number}.dcm"
                path.write_bytes(data)
                statuses.append(assoc.send_c_store(path))
    finally:
        assoc.release()
    return statuses


@pytest.mark.dimse
@pytest.mark.parametrize("flaw", DATASET_FLAWS)
def test_c_store_refuses_the_flawed_instance_with_its_reason_and_stores_the_others(
    listener_port: int,
    transactional_db: None,
    tmp_path: Path,
    flaw: str,
) -> None:
    data, code, words = DATASET_FLAWS[flaw]

    first, refused, last = cstore(listener_port, [good(1), data, good(2)], tmp_path)

    assert (first.Status, last.Status) == (0x0000, 0x0000)
    assert refused.Status == code
    assert words[:40] in refused.ErrorComment, refused.ErrorComment
    assert sorted(Instance.objects.values_list("sop_instance_uid", flat=True)) == [
        "1.2.99.11",
        "1.2.99.12",
    ]


def with_element_before(data: bytes, before_tag: bytes, new: bytes) -> bytes:
    """`data` with the raw element `new` inserted before the element starting `before_tag`."""
    at = data.index(before_tag)
    return data[:at] + new + data[at:]


STUDY_UID_ELEMENT = b"\x20\x00\x0d\x00UI"
SAMPLES_ELEMENT = b"\x28\x00\x02\x00US"
# Values the index cannot hold as they are; the instance is stored and its index keeps them
# empty (or cleaned), rather than the whole batch failing to index.
ODD_VALUES = {
    "an Instance Number of 10^20": with_element_before(
        good(3), SAMPLES_ELEMENT, element(0x00200013, b"IS", b"100000000000000000000 ")
    ),
    "a Series Number of -10^12": with_element_before(
        good(3), SAMPLES_ELEMENT, element(0x00200011, b"IS", b"-1000000000000")
    ),
    "an Instance Number of inf": with_element_before(
        good(3), SAMPLES_ELEMENT, element(0x00200013, b"IS", b"inf ")
    ),
    "a Slice Thickness of NaN": with_element_before(
        good(3), STUDY_UID_ELEMENT, element(0x00180050, b"DS", b"NaN ")
    ),
    "a Patient ID with a NUL inside": with_replaced(good(3), b"FUZZ-1", b"FU\x00Z-1"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", ODD_VALUES)
def test_a_value_the_index_cannot_hold_does_not_fail_the_other_parts(sender, client_for, case):
    response = stow(sender, [good(1), ODD_VALUES[case], good(2)])

    assert response.status_code == 200, response.content
    assert sorted(referenced_uids(response.json())) == ["1.2.99.11", "1.2.99.12", "1.2.99.13"]
    metadata = client_for("radiologist").get(
        "/dicomweb/studies/1.2.99.2/series/1.2.99.3/instances/1.2.99.13/metadata"
    )
    assert metadata.status_code == 200
    assert b"NaN" not in metadata.content and b"Infinity" not in metadata.content
