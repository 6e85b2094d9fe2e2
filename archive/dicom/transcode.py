"""Decode stored instances and frames into Explicit VR Little Endian, the DICOMweb default.

PS3.18 8.7.3 makes Explicit VR Little Endian the transfer syntax of `application/dicom` and of
`application/octet-stream` frames when a client names none. Instances stored compressed (JPEG,
JPEG-LS, JPEG 2000, RLE), deflated, big endian or implicit are rewritten for such a client, one
instance at a time; pixels are decoded by pydicom with the pylibjpeg plug-ins, as
`Dataset.pixel_array` decodes them, so colour JPEG (YBR) comes out as RGB and the data set says
so. Syntaxes pydicom has no decoder for here (MPEG video, JPEG XL...) are refused before any byte
is sent: `decodable` tells.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pydicom
from django.core.files.storage import default_storage
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder, pixel_array
from pydicom.uid import UID, ExplicitVRLittleEndian

from archive.dicom.render import PATH

EXPLICIT_LE = str(ExplicitVRLittleEndian)
# Binary VRs whose words a big-endian file stores swapped, by word size in bytes.
WORD_SIZES = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8}


class TranscodeError(Exception):
    """Stored pixel data could not be decoded; the message says why, without file paths."""

    def __init__(self, what: str, exc: Exception) -> None:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = PATH.sub("<file>", lines[-1])[:300] if lines else type(exc).__name__
        super().__init__(f"{what} cannot be decoded: {reason}")


def decodable(transfer_syntax_uid: str) -> bool:
    """Whether an instance stored in this syntax can be rewritten in Explicit VR Little Endian."""
    uid = UID(transfer_syntax_uid)
    if not uid.is_transfer_syntax:
        return False
    if not uid.is_compressed:
        return True
    try:
        return bool(get_decoder(uid).is_available)
    except NotImplementedError:
        return False


def instance_decoded(file_name: str) -> bytes:
    """The stored Part 10 file `file_name` as a Part 10 file in Explicit VR Little Endian.

    Holds one instance (and its decoded pixels) in memory. Raises TranscodeError.
    """
    with default_storage.open(file_name, "rb") as fp:
        ds = pydicom.dcmread(fp)
    stored = UID(str(ds.file_meta.TransferSyntaxUID))
    try:
        if stored.is_compressed:
            ds.decompress(generate_instance_uid=False)
        elif not stored.is_little_endian:
            _swap_words(ds)
    except Exception as exc:  # the decoders raise anything from ValueError to RuntimeError
        raise TranscodeError(f"Pixel data in {stored.name} ({stored})", exc) from exc
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.preamble = ds.preamble or b"\0" * 128
    out = io.BytesIO()
    # force_encoding: pydicom refuses to change endianness otherwise; _swap_words did it.
    pydicom.dcmwrite(out, ds, implicit_vr=False, little_endian=True, force_encoding=True)
    return out.getvalue()


def _swap_words(ds: Dataset) -> None:
    """Byte-swap the binary values of a data set read from a big-endian file (PS3.5 7.3)."""
    for element in ds.iterall():
        size = WORD_SIZES.get(element.VR)
        value = element.value
        if size and isinstance(value, bytes | bytearray) and value:
            usable = len(value) - len(value) % size
            words = np.frombuffer(value[:usable], dtype=f">u{size}")
            element.value = words.astype(f"<u{size}").tobytes() + bytes(value[usable:])


def frames_decoded(file_name: str, numbers: list[int]) -> Iterator[bytes]:
    """Frames `numbers` (1-based) of a compressed instance as native little-endian bytes, one
    decoded at a time (YBR as RGB, planar configuration 0). Raises TranscodeError."""
    with default_storage.open(file_name, "rb") as fp:
        for number in numbers:
            fp.seek(0)
            yield _frame_bytes(fp, number)


def _frame_bytes(fp: Any, number: int) -> bytes:
    try:
        frame = pixel_array(fp, index=number - 1)
    except Exception as exc:  # the decoders raise anything from ValueError to RuntimeError
        raise TranscodeError(f"Frame {number}", exc) from exc
    return np.ascontiguousarray(frame, dtype=frame.dtype.newbyteorder("<")).tobytes()
