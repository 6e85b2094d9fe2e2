"""Check the element structure of a data set before pydicom reads it, without recursion.

pydicom trusts the lengths it reads: a sequence item longer than its sequence is read past the
sequence's end as if whole, an unknown VR or a US value of 3 bytes fails only when the value is
converted, and sequences nested 500 deep exhaust the interpreter's stack. This walk reads only
element headers (values are skipped with a seek) and refuses each of those with a reason, so
what pydicom then reads is a well-formed tree. PS3.5 7.1 (elements), 7.5 (sequences), A.4
(encapsulated fragments).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from pydicom.datadict import dictionary_VR

from archive.dicom.failures import InstanceRefused

# Deeper than any real data set nests (SR content trees, RT structure sets stay far below), and
# shallow enough that pydicom's recursive reader and JSON encoder keep well inside their stack.
MAX_SEQUENCE_DEPTH = 32
# Deflated data sets are small; one that inflates beyond this is refused, not held in memory.
MAX_INFLATED_BYTES = 256 * 1024 * 1024

UNDEFINED = 0xFFFFFFFF
ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
CLOSE = "close"  # what a delimiter does to the innermost open container
# fmt: off
KNOWN_VRS = {
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF",
    "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN",
    "UR", "US", "UT", "UV",
}
# fmt: on
LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR"}
LONG_LENGTH_VRS |= {b"UT", b"UV"}
# Binary VRs whose value is a whole number of fixed-size values (PS3.5 6.2).
VALUE_SIZES = {"AT": 4, "FL": 4, "FD": 8, "OD": 8, "OF": 4, "OL": 4, "OV": 8, "OW": 2}
VALUE_SIZES |= {"SL": 4, "SS": 2, "SV": 8, "UL": 4, "US": 2, "UV": 8}


@dataclass
class _Container:
    """An open data set, sequence or fragment sequence, with where it must end."""

    kind: str  # "dataset", "sequence" (items holding data sets) or "fragments"
    tag: int  # the element that opened it (0 for the top-level data set)
    defined_end: int | None  # its own end when its length is defined; None: a delimiter ends it
    bound: int  # the nearest end it must not pass (its own or an ancestor's)
    implicit: bool
    little: bool
    depth: int  # sequences above and including this one
    first_fragment: bool = True

    def child(self, kind: str, tag: int, defined_end: int | None, bound: int) -> _Container:
        """A container inside this one, in the same encoding and at the same depth."""
        return _Container(kind, tag, defined_end, bound, self.implicit, self.little, self.depth)


def check_structure(
    fp: BinaryIO, *, dataset_offset: int, file_size: int, transfer_syntax: str
) -> None:
    """Walk every element header from `dataset_offset`; raise InstanceRefused on the first flaw.

    `transfer_syntax` is a known transfer syntax UID (checked by the caller).
    """
    implicit = transfer_syntax == "1.2.840.10008.1.2"
    little = transfer_syntax != "1.2.840.10008.1.2.2"
    if transfer_syntax == "1.2.840.10008.1.2.1.99":
        fp.seek(dataset_offset)
        fp, dataset_offset = _inflated(fp.read()), 0
        file_size = fp.getbuffer().nbytes
    fp.seek(dataset_offset)
    _Walk(fp).run(_Container("dataset", 0, file_size, file_size, implicit, little, depth=0))


def _inflated(deflated: bytes) -> io.BytesIO:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(deflated, MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise InstanceRefused(f"The deflated data set cannot be inflated: {exc}") from exc
    if inflater.unconsumed_tail:
        raise InstanceRefused(
            f"The deflated data set inflates to more than {MAX_INFLATED_BYTES // 2**20} MiB"
        )
    return io.BytesIO(data)


class _Walk:
    """A depth-first walk over element and item headers, with an explicit stack."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp

    def run(self, root: _Container) -> None:
        stack = [root]
        while stack:
            top = stack[-1]
            position = self.fp.tell()
            if top.defined_end is not None and position >= top.defined_end:
                stack.pop()
                continue
            if position >= top.bound:
                raise InstanceRefused(
                    f"The file is truncated: it ends inside the sequence {_tag(top.tag)}"
                )
            opened = self._element(top) if top.kind == "dataset" else self._item(top)
            if isinstance(opened, _Container):
                stack.append(opened)
            elif opened == CLOSE:
                stack.pop()

    def _header(self, top: _Container, size: int) -> bytes:
        header = self.fp.read(size)
        if len(header) < size or self.fp.tell() > top.bound:
            where = f"inside {_tag(top.tag)}" if top.tag else "in an element header"
            raise InstanceRefused(f"The data set is truncated or malformed: it ends {where}")
        return header

    def _element(self, top: _Container) -> _Container | str | None:
        """Read one element header of a data set; return what it opens, if anything."""
        endian = "<" if top.little else ">"
        group, element = struct.unpack(f"{endian}HH", self._header(top, 4))
        tag = group << 16 | element
        if tag == ITEM_DELIMITER and top.defined_end is None and top.depth:
            self._header(top, 4)
            return CLOSE
        if group == 0xFFFE:
            raise InstanceRefused(f"Unexpected delimiter {_tag(tag)} inside a data set")
        vr, length = self._vr_and_length(top, tag, endian)
        start = self.fp.tell()
        if length == UNDEFINED:
            return self._open_undefined(top, tag, vr)
        if start + length > top.bound:
            raise InstanceRefused(_overrun(tag, length, top))
        size = _value_size(tag, vr)
        if size and length % size:
            raise InstanceRefused(
                f"Element {_tag(tag)} ({vr or 'implicit VR'}) holds {length} bytes, not a "
                f"whole number of {size}-byte values"
            )
        if vr == "SQ" and length:
            return self._sequence(top, tag, start + length, implicit=top.implicit)
        self.fp.seek(start + length)
        return None

    def _vr_and_length(self, top: _Container, tag: int, endian: str) -> tuple[str | None, int]:
        if top.implicit:
            (length,) = struct.unpack(f"{endian}I", self._header(top, 4))
            return _dictionary_vr(tag), length
        raw_vr = self._header(top, 2)
        vr = raw_vr.decode("latin-1")
        if vr not in KNOWN_VRS:
            raise InstanceRefused(f"Element {_tag(tag)} has an unknown VR {vr!r}")
        if raw_vr in LONG_LENGTH_VRS:
            (length,) = struct.unpack(f"{endian}2xI", self._header(top, 6))
        else:
            (length,) = struct.unpack(f"{endian}H", self._header(top, 2))
        return vr, length

    def _open_undefined(self, top: _Container, tag: int, vr: str | None) -> _Container:
        if vr in ("OB", "OW") or (top.implicit and tag == PIXEL_DATA):
            return top.child("fragments", tag, None, top.bound)
        if vr in ("SQ", "UN", None) or top.implicit:
            # An undefined-length UN holds an implicit VR little endian sequence (PS3.5 6.2.2).
            return self._sequence(top, tag, None, implicit=top.implicit or vr == "UN")
        raise InstanceRefused(f"Element {_tag(tag)} ({vr}) cannot have an undefined length")

    def _sequence(
        self, top: _Container, tag: int, end: int | None, *, implicit: bool
    ) -> _Container:
        depth = top.depth + 1
        if depth > MAX_SEQUENCE_DEPTH:
            raise InstanceRefused(
                f"Sequences are nested more than {MAX_SEQUENCE_DEPTH} deep (at {_tag(tag)})"
            )
        little = True if implicit and not top.implicit else top.little
        bound = top.bound if end is None else end
        return _Container("sequence", tag, end, bound, implicit, little, depth)

    def _item(self, top: _Container) -> _Container | str | None:
        """Read one item header of a sequence or fragment sequence."""
        endian = "<" if top.little else ">"
        group, element, length = struct.unpack(f"{endian}HHI", self._header(top, 8))
        tag = group << 16 | element
        if tag == SEQUENCE_DELIMITER and top.defined_end is None:
            return CLOSE
        if tag != ITEM:
            raise InstanceRefused(
                f"Sequence {_tag(top.tag)} holds {_tag(tag)} where an item must be"
            )
        start = self.fp.tell()
        if top.kind == "fragments":
            self._fragment(top, start, length)
            return None
        if length == UNDEFINED:
            return top.child("dataset", top.tag, None, top.bound)
        if start + length > top.bound:
            raise InstanceRefused(
                f"An item of sequence {_tag(top.tag)} declares {length} bytes, more than the "
                "sequence holds"
            )
        return top.child("dataset", top.tag, start + length, start + length)

    def _fragment(self, top: _Container, start: int, length: int) -> None:
        if length == UNDEFINED or start + length > top.bound:
            raise InstanceRefused(f"A fragment of {_tag(top.tag)} overruns the file")
        if top.first_fragment and top.tag == PIXEL_DATA and length % 4:
            raise InstanceRefused(
                f"The Basic Offset Table of Pixel Data is {length} bytes, not a multiple of 4"
            )
        top.first_fragment = False
        self.fp.seek(start + length)


@lru_cache(maxsize=4096)
def _dictionary_vr(tag: int) -> str | None:
    """The data dictionary's VR of a public tag: "US or SS" and the like as they are."""
    if tag >> 16 & 1:
        return None  # private
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


def _value_size(tag: int, vr: str | None) -> int | None:
    """The size of one value, when the VR (or its dictionary VR) fixes one.

    pydicom converts a UN element of a known tag, and an implicit element whose VR the
    dictionary leaves open ("US or SS"), by the dictionary's VR: those are checked by it too.
    """
    if vr in VALUE_SIZES:
        return VALUE_SIZES[vr]
    if vr in (None, "UN"):
        vr = _dictionary_vr(tag)
    if vr is None or (" or " not in vr and vr not in VALUE_SIZES):
        return None
    sizes = {VALUE_SIZES.get(v) for v in vr.split(" or ")}
    return sizes.pop() if len(sizes) == 1 else None


def _overrun(tag: int, length: int, top: _Container) -> str:
    if top.depth == 0:
        return f"The file is truncated: element {_tag(tag)} declares {length} bytes"
    return (
        f"Element {_tag(tag)} declares {length} bytes, more than its item of {_tag(top.tag)} holds"
    )


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
