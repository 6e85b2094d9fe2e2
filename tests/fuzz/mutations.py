"""Structure-aware mutations of the shared Part 10 files, as hypothesis strategies.

A drawn `Recipe` names a seed file and what to do to it: DICOM-aware patches of its data set
(an unknown VR, a wrong element length, sequences nested hundreds deep, a sequence item longer
than its sequence, a bad UID, a Basic Offset Table that is not a multiple of 4), a replaced
transfer syntax, then plain byte mutations (truncate, flip, insert, delete, overwrite).
`Recipe.build(uid)` makes the bytes, with `uid` as SOP Instance UID so every mutant is a new
instance. Used by tests/fuzz/test_ingest_fuzz.py and bench/fuzz_ingest.py alike.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.filereader import _read_file_meta_info, data_element_generator, read_preamble

FUZZ_SEED = 20261129
UNDEFINED = 0xFFFFFFFF
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
SOP_INSTANCE_UID = 0x00080018
UID_TAGS = (0x00080016, SOP_INSTANCE_UID, 0x0020000D, 0x0020000E)
PIXEL_DATA = 0x7FE00010
BINARY_VRS = {"US", "UL", "SS", "SL", "FL", "FD", "AT"}
# Where inserted sequences go: tags every seed file lacks, before Pixel Data.
CONTENT_SEQUENCE = 0x0040A730
REQUEST_ATTRIBUTES_SEQUENCE = 0x00400275
DEFLATED = "1.2.840.10008.1.2.1.99"


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


@dataclass(frozen=True)
class Patch:
    """Replace dataset[start:end] with `data` (an insertion when start == end)."""

    label: str
    start: int
    end: int
    data: bytes = field(repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Patch({self.label!r}, {self.start}, {self.end}, <{len(self.data)} bytes>)")


@dataclass(frozen=True)
class ByteOp:
    kind: str  # truncate, flip, insert, delete, overwrite
    position: int  # 0..65535, scaled to the region
    in_header: bool  # the region is the meta and header, not the whole file
    payload: bytes = b""


@dataclass(frozen=True)
class Recipe:
    seed: Seed
    patches: tuple[Patch, ...] = ()
    transfer_syntax: bytes | None = None
    byte_ops: tuple[ByteOp, ...] = ()

    def build(self, uid: str) -> bytes:
        dataset = _apply(self.seed.dataset, (*self.patches, _uid_patch(self.seed, uid)))
        meta = dict((tag, (vr, value)) for tag, vr, value in self.seed.meta)
        meta[0x00020003] = ("UI", _padded(uid.encode()))
        if self.transfer_syntax is not None:
            meta[0x00020010] = ("UI", _padded(self.transfer_syntax))
        head = _file_meta(meta)
        data = head + dataset
        header_end = len(head) + self.seed.header_end
        for op in self.byte_ops:
            data = _byte_op_apply(data, op, min(header_end, len(data)))
        return data

    @property
    def labels(self) -> list[str]:
        labels = [p.label for p in self.patches] + [op.kind for op in self.byte_ops]
        return labels + (["transfer-syntax"] if self.transfer_syntax is not None else [])


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
    if sop is None or sop.length < len(unique_uid(0, 1)):
        return None
    raw_meta = tuple(
        (int(e.tag), str(e.VR), _padded(_raw_value(e.value)))
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


def _uid_patch(seed: Seed, uid: str) -> Patch:
    """The SOP Instance UID replaced in place, same length, NUL-padded."""
    element = seed.element(SOP_INSTANCE_UID)
    assert element is not None  # seeds without one are left out
    value = uid.encode()[: element.length].ljust(element.length, b"\x00")
    return Patch("uid", element.value_start, element.value_start + element.length, value)


def unique_uid(counter: int, run: int) -> str:
    """The SOP Instance UID of mutant `counter` of fuzz run `run` (1-9, one per door), under
    2.25: the same every time, so a failure names the UID to look for, and unique in a run.
    """
    return f"2.25.{FUZZ_SEED}{run}{counter:07d}"


def _apply(data: bytes, patches: tuple[Patch, ...]) -> bytes:
    """Apply patches from the end backwards so each one's offsets still hold; overlaps lose."""
    taken: list[tuple[int, int]] = []
    for patch in sorted(patches, key=lambda p: (p.start, p.end), reverse=True):
        if any(patch.start < end and start < patch.end for start, end in taken):
            continue
        if any(patch.start == patch.end == start for start, _ in taken):
            continue
        data = data[: patch.start] + patch.data + data[patch.end :]
        taken.append((patch.start, max(patch.end, patch.start + 1)))
    return data


def _padded(value: bytes) -> bytes:
    return value + b"\x00" if len(value) % 2 else value


def _file_meta(meta: dict[int, tuple[str, bytes]]) -> bytes:
    body = b"".join(
        _encode(tag, vr, value, implicit=False, little=True)
        for tag, (vr, value) in sorted(meta.items())
    )
    length = _encode(0x00020000, "UL", struct.pack("<I", len(body)), implicit=False, little=True)
    return b"\x00" * 128 + b"DICM" + length + body


def _encode(
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


def _item(body: bytes, *, little: bool, length: int | None = None) -> bytes:
    endian = "<" if little else ">"
    declared = len(body) if length is None else length
    return struct.pack(f"{endian}HHI", 0xFFFE, 0xE000, declared) + body


def _delimiter(element: int, *, little: bool) -> bytes:
    return struct.pack("<HHI" if little else ">HHI", 0xFFFE, element, 0)


def _insertion_point(seed: Seed, tag: int) -> int:
    return next((e.start for e in seed.elements if e.tag > tag), len(seed.dataset))


# --- DICOM-aware patches -------------------------------------------------------------------


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
    encoded = _encode(element.tag, vr, value, implicit=seed.implicit, little=seed.little)
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
    opening = _encode(
        CONTENT_SEQUENCE, "SQ", b"", implicit=seed.implicit, little=seed.little, length=UNDEFINED
    ) + _item(b"", little=seed.little, length=UNDEFINED)
    closing = _delimiter(0xE00D, little=seed.little) + _delimiter(0xE0DD, little=seed.little)
    at = _insertion_point(seed, CONTENT_SEQUENCE)
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
    body = _encode(0x00400007, "LO", b"FUZZ", implicit=seed.implicit, little=seed.little)
    item = _item(body, little=seed.little, length=len(body) + extra)
    sequence = _encode(
        REQUEST_ATTRIBUTES_SEQUENCE, "SQ", item, implicit=seed.implicit, little=seed.little
    )
    at = _insertion_point(seed, REQUEST_ATTRIBUTES_SEQUENCE)
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
    value = _padded(draw(st.sampled_from(BAD_UIDS))(original).encode("latin-1"))
    encoded = _encode(element.tag, "UI", value, implicit=seed.implicit, little=seed.little)
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
        table = _item(bytes(size), little=seed.little)
        end = pixels.value_start + 8 + length
        return Patch("offset-table", pixels.value_start, end, table)
    at = pixels.value_start + 4
    return Patch("offset-table", at, at + 4, struct.pack(f"{endian}I", length + size % 4))


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
]


@st.composite
def _byte_op(draw: st.DrawFn) -> ByteOp:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "overwrite"]))
    payload = b""
    if kind in ("insert", "overwrite"):
        payload = draw(st.binary(min_size=1, max_size=16))
    elif kind == "flip":
        payload = draw(st.integers(1, 255)).to_bytes(1, "little")
    elif kind == "delete":
        payload = bytes(draw(st.integers(1, 64)))
    return ByteOp(kind, draw(st.integers(0, 0xFFFF)), draw(st.booleans()), payload)


def _byte_op_apply(data: bytes, op: ByteOp, header_end: int) -> bytes:
    region = header_end if op.in_header else len(data)
    at = op.position * max(region - 1, 0) // 0xFFFF
    if op.kind == "truncate":
        return data[:at]
    if op.kind == "flip":
        return data[:at] + bytes([data[at] ^ op.payload[0]]) + data[at + 1 :] if data else data
    if op.kind == "insert":
        return data[:at] + op.payload + data[at:]
    if op.kind == "delete":
        return data[:at] + data[at + len(op.payload) :]
    return data[:at] + op.payload + data[at + len(op.payload) :]


@st.composite
def recipe(draw: st.DrawFn, seeds: list[Seed]) -> Recipe:
    """One mutant: a seed, up to two DICOM-aware patches, maybe a transfer syntax, up to two
    byte mutations. Every part may be empty: some mutants are the seed as it was (under a new
    UID), which must be stored."""
    seed = draw(st.sampled_from(seeds))
    # Counts weighted towards none, so that about one mutant in five is stored and its
    # retrieval checked.
    patches = []
    for make in draw(_some(st.sampled_from(PATCHES), [0, 0, 1, 1, 2])):
        patch = draw(make(seed))
        if patch is not None:
            patches.append(patch)
    replace_syntax = draw(st.integers(0, 5)) == 0
    transfer_syntax = draw(st.sampled_from(TRANSFER_SYNTAXES)) if replace_syntax else None
    byte_ops = draw(_some(_byte_op(), [0, 0, 1, 2]))
    return Recipe(seed, tuple(patches), transfer_syntax, tuple(byte_ops))


def _some(strategy: st.SearchStrategy[Any], counts: list[int]) -> st.SearchStrategy[list[Any]]:
    return st.sampled_from(counts).flatmap(lambda n: st.lists(strategy, min_size=n, max_size=n))
