"""The seed files of the fuzz run: each Part 10 file's File Meta, data set and where its
top-level elements lie, and the encoding of new elements (for tests/fuzz/patches.py)."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.filereader import _read_file_meta_info, data_element_generator, read_preamble

UNDEFINED = 0xFFFFFFFF
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
SOP_INSTANCE_UID = 0x00080018
PIXEL_DATA = 0x7FE00010
DEFLATED = "1.2.840.10008.1.2.1.99"
# Long enough for the UIDs the fuzz run gives its mutants (tests/fuzz/mutations.unique_uid).
MIN_SOP_INSTANCE_UID_LENGTH = 24


@dataclass(frozen=True)
class Element:
    """A top-level element of a seed's data set: where its header and value lie."""

    tag: int
    vr: str | None
    start: int
    value_start: int
    length: int
    end: int


@dataclass(frozen=True, repr=False)
class Seed:
    name: str
    meta: tuple[tuple[int, str, bytes], ...]  # (tag, VR, value) of each File Meta element
    dataset: bytes
    elements: tuple[Element, ...]
    implicit: bool
    little: bool

    def __repr__(self) -> str:
        return f"Seed({self.name!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints a failing example with this

    def element(self, tag: int) -> Element | None:
        return next((e for e in self.elements if e.tag == tag), None)

    @property
    def header_end(self) -> int:
        """Where the bytes worth mutating end: the pixel data's value, or the data set's end."""
        pixels = self.element(PIXEL_DATA)
        return pixels.value_start + 64 if pixels else len(self.dataset)


def load_seeds(folder: Path, *, max_bytes: int) -> list[Seed]:
    """Every Part 10 file under `folder` up to `max_bytes`, readable enough to find its elements.

    Deflated files are left out: their data set cannot be patched in place.
    """
    seeds = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in {".csv", ".md"} or path.name == "DICOMDIR":
            continue
        if path.stat().st_size > max_bytes:
            continue
        seed = _seed(path.relative_to(folder).as_posix(), path.read_bytes())
        if seed is not None:
            seeds.append(seed)
    return seeds


def _seed(name: str, data: bytes) -> Seed | None:
    fp = io.BytesIO(data)
    try:
        read_preamble(fp, False)
        meta = _read_file_meta_info(fp)
        ts = pydicom.uid.UID(str(meta.TransferSyntaxUID))
        if ts == DEFLATED or not ts.is_transfer_syntax:
            return None
        start = fp.tell()
        elements = _elements(data, start, implicit=ts.is_implicit_VR, little=ts.is_little_endian)
    except Exception:
        return None  # a malformed seed we cannot map: the other seeds cover its kind
    sop = next((e for e in elements if e.tag == SOP_INSTANCE_UID), None)
    if sop is None or sop.length < MIN_SOP_INSTANCE_UID_LENGTH:
        return None
    raw_meta = tuple(
        (int(e.tag), str(e.VR), padded(_raw_value(e.value)))
        for e in meta._dict.values()
        if e.tag != 0x00020000
    )
    shifted = tuple(
        Element(e.tag, e.vr, e.start - start, e.value_start - start, e.length, e.end - start)
        for e in elements
    )
    return Seed(name, raw_meta, data[start:], shifted, ts.is_implicit_VR, ts.is_little_endian)


def _raw_value(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value or "").encode("latin-1")


def _elements(data: bytes, start: int, *, implicit: bool, little: bool) -> list[Element]:
    fp = io.BytesIO(data)
    fp.seek(start)
    found: list[tuple[int, str | None, int, int, int]] = []
    generator = data_element_generator(fp, implicit, little)
    while True:
        position = fp.tell()
        raw = next(generator, None)
        if raw is None:
            break
        # An undefined-length sequence comes back read, as a DataElement without positions.
        length = raw.length if isinstance(raw, RawDataElement) else UNDEFINED
        header = 8 if implicit or raw.VR not in LONG_VRS else 12
        found.append((int(raw.tag), raw.VR, position, position + header, length))
    ends = [f[2] for f in found[1:]] + [len(data)]
    return [Element(*f, end) for f, end in zip(found, ends, strict=True)]


def padded(value: bytes) -> bytes:
    return value + b"\x00" if len(value) % 2 else value


def encode(
    tag: int, vr: str, value: bytes, *, implicit: bool, little: bool, length: int | None = None
) -> bytes:
    endian = "<" if little else ">"
    length = len(value) if length is None else length
    head = struct.pack(f"{endian}HH", tag >> 16, tag & 0xFFFF)
    if implicit:
        return head + struct.pack(f"{endian}I", length) + value
    if vr in LONG_VRS:
        return head + vr.encode() + b"\x00\x00" + struct.pack(f"{endian}I", length) + value
    return head + vr.encode() + struct.pack(f"{endian}H", length & 0xFFFF) + value


def item(body: bytes, *, little: bool, length: int | None = None) -> bytes:
    endian = "<" if little else ">"
    declared = len(body) if length is None else length
    return struct.pack(f"{endian}HHI", 0xFFFE, 0xE000, declared) + body


def delimiter(element: int, *, little: bool) -> bytes:
    return struct.pack("<HHI" if little else ">HHI", 0xFFFE, element, 0)


def insertion_point(seed: Seed, tag: int) -> int:
    return next((e.start for e in seed.elements if e.tag > tag), len(seed.dataset))
