"""DICOM-aware mutations of a seed's data set, as hypothesis strategies of byte patches: an
unknown VR, a wrong element length, a binary value one byte short, sequences nested hundreds
deep, a sequence item longer than its sequence, a bad UID, a Basic Offset Table that is not a
multiple of 4; and transfer syntaxes to put in the File Meta."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR

from tests.fuzz.seeds import (
    LONG_VRS,
    PIXEL_DATA,
    SOP_INSTANCE_UID,
    UNDEFINED,
    Element,
    Seed,
    delimiter,
    encode,
    insertion_point,
    item,
    padded,
)

UID_TAGS = (0x00080016, SOP_INSTANCE_UID, 0x0020000D, 0x0020000E)
BINARY_VRS = {"US", "UL", "SS", "SL", "FL", "FD", "AT"}
# Where inserted sequences go: tags every seed file lacks, before Pixel Data.
CONTENT_SEQUENCE = 0x0040A730
REQUEST_ATTRIBUTES_SEQUENCE = 0x00400275


@dataclass(frozen=True)
class Patch:
    """Replace dataset[start:end] with `data` (an insertion when start == end)."""

    label: str
    start: int
    end: int
    data: bytes = field(repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Patch({self.label!r}, {self.start}, {self.end}, <{len(self.data)} bytes>)")


def _targets(seed: Seed, accept: Callable[[Element], bool]) -> list[Element]:
    return [e for e in seed.elements if e.tag != SOP_INSTANCE_UID and accept(e)]


@st.composite
def _unknown_vr(draw: st.DrawFn, seed: Seed) -> Patch | None:
    targets = _targets(seed, lambda e: True)
    if seed.implicit or not targets:
        return None
    element = draw(st.sampled_from(targets))
    vr = draw(
        st.sampled_from([b"ZZ", b"QQ", b"XX", b"AA", b"ob", b"\x00\x00", b"  "])
        | st.binary(min_size=2, max_size=2)
    )
    return Patch("unknown-vr", element.start + 4, element.start + 6, vr)


@st.composite
def _wrong_length(draw: st.DrawFn, seed: Seed) -> Patch | None:
    targets = _targets(seed, lambda e: True)
    if not targets:
        return None
    element = draw(st.sampled_from(targets))
    short = not seed.implicit and element.vr not in LONG_VRS
    size = element.length if element.length != UNDEFINED else 0
    new = draw(
        st.sampled_from([0, 1, size + 1, max(size - 1, 0), size + 2, size * 2 + 1, 0xFFFF])
        | (st.just(0xFFFF) if short else st.sampled_from([0x7FFFFFFF, UNDEFINED, 0xFFFFFFF0]))
    )
    endian = "<" if seed.little else ">"
    if short:
        at = element.start + 6
        return Patch("length", at, at + 2, struct.pack(f"{endian}H", new & 0xFFFF))
    at = element.start + (4 if seed.implicit else 8)
    return Patch("length", at, at + 4, struct.pack(f"{endian}I", new))


@st.composite
def _odd_binary_value(draw: st.DrawFn, seed: Seed) -> Patch | None:
    """A US/UL/FL… value one byte short: pydicom's BytesLengthException on conversion."""
    targets = _targets(seed, lambda e: _vr_of(seed, e) in BINARY_VRS and 1 < e.length < 64)
    if not targets:
        return None
    element = draw(st.sampled_from(targets))
    value = seed.dataset[element.value_start : element.value_start + element.length - 1]
    vr = _vr_of(seed, element) or "UN"
    encoded = encode(element.tag, vr, value, implicit=seed.implicit, little=seed.little)
    return Patch("odd-binary", element.start, element.end, encoded)


def _vr_of(seed: Seed, element: Element) -> str | None:
    if not seed.implicit:
        return element.vr
    try:
        return str(dictionary_VR(element.tag))
    except KeyError:
        return None


@st.composite
def _deep_sequences(draw: st.DrawFn, seed: Seed) -> Patch:
    depth = draw(st.sampled_from([2, 31, 32, 33, 64, 200, 500, 600]) | st.integers(1, 700))
    opening = encode(
        CONTENT_SEQUENCE, "SQ", b"", implicit=seed.implicit, little=seed.little, length=UNDEFINED
    ) + item(b"", little=seed.little, length=UNDEFINED)
    closing = delimiter(0xE00D, little=seed.little) + delimiter(0xE0DD, little=seed.little)
    at = insertion_point(seed, CONTENT_SEQUENCE)
    return Patch(f"nested-{depth}", at, at, opening * depth + closing * depth)


@st.composite
def _overrunning_item(draw: st.DrawFn, seed: Seed) -> Patch:
    """A sequence item that declares more bytes than its sequence holds (new or existing)."""
    extra = draw(st.sampled_from([1, 2, 8, 100]) | st.integers(1, 1 << 20))
    existing = _targets(seed, lambda e: _vr_of(seed, e) == "SQ" and e.length not in (0, UNDEFINED))
    if existing and draw(st.booleans()):
        element = draw(st.sampled_from(existing))
        endian = "<" if seed.little else ">"
        (length,) = struct.unpack_from(f"{endian}I", seed.dataset, element.value_start + 4)
        if length != UNDEFINED:
            at = element.value_start + 4
            new = struct.pack(f"{endian}I", min(length + extra, UNDEFINED - 1))
            return Patch("item-overrun", at, at + 4, new)
    body = encode(0x00400007, "LO", b"FUZZ", implicit=seed.implicit, little=seed.little)
    overrunning = item(body, little=seed.little, length=len(body) + extra)
    sequence = encode(
        REQUEST_ATTRIBUTES_SEQUENCE, "SQ", overrunning, implicit=seed.implicit, little=seed.little
    )
    at = insertion_point(seed, REQUEST_ATTRIBUTES_SEQUENCE)
    return Patch("item-overrun", at, at, sequence)


BAD_UIDS: list[Callable[[str], str]] = [
    lambda u: "0" + u,  # leading zero in the first component
    lambda u: u[:40] + ".05",  # and in the last
    lambda u: u[:60] + "\n",
    lambda u: u[:60] + " ",
    lambda u: u.replace(".", "..", 1),
    lambda u: u[:60] + ".",
    lambda u: u[:5] + "A" + u[6:],
    lambda u: "1." + "2" * 70,
    lambda u: "",
]


@st.composite
def _bad_uid(draw: st.DrawFn, seed: Seed) -> Patch | None:
    targets = [e for e in seed.elements if e.tag in UID_TAGS]
    if not targets:
        return None
    element = draw(st.sampled_from(targets))
    original = seed.dataset[element.value_start : element.end].decode("latin-1").rstrip("\0 ")
    original = original if element.tag != SOP_INSTANCE_UID else "1.2.826.0.1.3680043.2.1125.7"
    value = padded(draw(st.sampled_from(BAD_UIDS))(original).encode("latin-1"))
    encoded = encode(element.tag, "UI", value, implicit=seed.implicit, little=seed.little)
    return Patch("bad-uid", element.start, element.end, encoded)


@st.composite
def _bad_offset_table(draw: st.DrawFn, seed: Seed) -> Patch | None:
    pixels = seed.element(PIXEL_DATA)
    if pixels is None or pixels.length != UNDEFINED:
        return None
    endian = "<" if seed.little else ">"
    (length,) = struct.unpack_from(f"{endian}I", seed.dataset, pixels.value_start + 4)
    size = draw(st.sampled_from([1, 2, 3, 5, 6, 7, 10]))
    if draw(st.booleans()):  # a whole table of that size, the item structure intact
        table = item(bytes(size), little=seed.little)
        end = pixels.value_start + 8 + length
        return Patch("offset-table", pixels.value_start, end, table)
    at = pixels.value_start + 4
    return Patch("offset-table", at, at + 4, struct.pack(f"{endian}I", length + size % 4))


# Elements the archive's index keeps in columns (archive/dicom/index_attributes.py).
INDEXED_TAGS = {
    0x00080020, 0x00080030, 0x00080050, 0x00080060, 0x00080090, 0x00081030, 0x0008103E,
    0x00100010, 0x00100020, 0x00100021, 0x00100030, 0x00100040, 0x00180015, 0x00200010,
    0x00200011, 0x00200013, 0x00280004, 0x00400244, 0x00400245,
}  # fmt: skip
NUMBERS_OUT_OF_RANGE = [b"inf", b"NaN", b"1e400", b"100000000000000000000", b"-99999999999"]
TEXT_WITH_TROUBLE = [b"A\x00B", b"\x00\x00X", b"\\\\", b"\xff\xfe", b"9" * 64]


@st.composite
def _odd_value(draw: st.DrawFn, seed: Seed) -> Patch | None:
    """A number or text the index columns cannot hold as it is (out of range, NaN, a NUL)."""
    targets = _targets(seed, lambda e: e.tag in INDEXED_TAGS and e.length < 256)
    numbers = [e for e in targets if _vr_of(seed, e) in ("IS", "DS")]
    numeric = bool(numbers) and draw(st.booleans())  # the few numbers as often as the texts
    targets = numbers if numeric else [e for e in targets if e not in numbers]
    if not targets:
        return None
    element = draw(st.sampled_from(targets))
    vr = _vr_of(seed, element) or "LO"
    value = draw(st.sampled_from(NUMBERS_OUT_OF_RANGE if numeric else TEXT_WITH_TROUBLE))
    value = value + b" " if len(value) % 2 else value
    encoded = encode(element.tag, vr, value, implicit=seed.implicit, little=seed.little)
    return Patch("odd-value", element.start, element.end, encoded)


TRANSFER_SYNTAXES = [
    b"1.2.840.10008.5.1.4.1.1.7",  # a SOP Class, not a transfer syntax
    b"1.2.3.4",
    b"1.2.840.10008.1.2",
    b"1.2.840.10008.1.2.2",
    b"1.2.840.10008.1.2.1.99",
    b"1.2.840.10008.1.2.4.50",
    b"1.2.840.10008.1.2.4.100",
    b"01.2.840.10008.1.2.1",
    b"1.2.840.10008.1.2.1\n",
    b"1.2.840.10008.1.2.1 ",
    b"",
    b"9" * 70,
]

PATCHES = [
    _unknown_vr,
    _wrong_length,
    _odd_binary_value,
    _deep_sequences,
    _overrunning_item,
    _bad_uid,
    _bad_offset_table,
    _odd_value,
]
