"""Read frames and bulk data back out of a stored Part 10 file, in the form WADO-RS sends them.

Frames are sent in their stored encoding (no transcoding); native pixel data is always sent as
Explicit VR Little Endian bytes, so big-endian frames are byte-swapped and deflated files inflated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pydicom
from django.core.files.storage import default_storage
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.uid import UID

from archive.dicom.frames import (
    FrameIndex,
    frame_fragments,
    frame_from_dataset_bytes,
    frame_read,
    native_frame_span,
)

EXPLICIT_LE = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
NATIVE_SYNTAXES = {"1.2.840.10008.1.2", EXPLICIT_LE, "1.2.840.10008.1.2.1.99", BIG_ENDIAN}
PIXEL_DATA_TAG = 0x7FE00010
CHUNK_SIZE = 256 * 1024

# PS3.18 Table 8.7.3-5: the media type of a frame in each compressed transfer syntax.
COMPRESSED_MEDIA_TYPES = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
    "1.2.840.10008.1.2.4.201": "image/jphc",
    "1.2.840.10008.1.2.4.202": "image/jphc",
    "1.2.840.10008.1.2.4.203": "image/jphc",
    "1.2.840.10008.1.2.5": "image/dicom-rle",
    "1.2.840.10008.1.2.4.100": "video/mpeg",
    "1.2.840.10008.1.2.4.101": "video/mpeg",
    "1.2.840.10008.1.2.4.102": "video/mp4",
    "1.2.840.10008.1.2.4.103": "video/mp4",
}


@dataclass(frozen=True)
class FrameEncoding:
    """How frames of an instance travel: their media type and the transfer syntax they are in."""

    media_type: str
    transfer_syntax_uid: str

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; transfer-syntax={self.transfer_syntax_uid}"


def frame_encoding(transfer_syntax_uid: str) -> FrameEncoding:
    if transfer_syntax_uid in NATIVE_SYNTAXES:
        return FrameEncoding("application/octet-stream", EXPLICIT_LE)
    media_type = COMPRESSED_MEDIA_TYPES.get(transfer_syntax_uid, "application/octet-stream")
    return FrameEncoding(media_type, transfer_syntax_uid)


@dataclass(frozen=True)
class StoredImage:
    """What reading frames needs from an Instance row."""

    file_name: str
    transfer_syntax_uid: str
    frame_index: FrameIndex | None
    number_of_frames: int
    bits_allocated: int

    @classmethod
    def of(cls, instance: Any) -> StoredImage:
        return cls(
            file_name=instance.file.name,
            transfer_syntax_uid=instance.transfer_syntax_uid,
            frame_index=instance.frame_index,
            number_of_frames=instance.number_of_frames,
            bits_allocated=instance.bits_allocated or 8,
        )


def frames_read(image: StoredImage, numbers: list[int]) -> list[bytes]:
    """The bytes of frames `numbers` (1-based, already checked to exist), as WADO-RS sends them.

    With a frame index this is one seek and one read per frame or fragment; otherwise (deflated
    files, and 1-bit frames that share bytes in rows stored before the compact native index)
    the file is parsed with pydicom.
    """
    index = image.frame_index
    if index is None:
        return _frames_from_dataset(image, numbers)
    with default_storage.open(image.file_name, "rb") as fp:
        if isinstance(index, dict):
            frames = [_native_frame_read(fp, index, n) for n in numbers]  # type: ignore[arg-type]
        else:
            frames = [frame_read(fp, frame_fragments(index, n)) for n in numbers]  # type: ignore[arg-type]
    if image.transfer_syntax_uid == BIG_ENDIAN:
        frames = [_to_little_endian(f, image.bits_allocated) for f in frames]
    return frames


def _native_frame_read(fp: BinaryIO, index: dict[str, int], number: int) -> bytes:
    start, length, shift = native_frame_span(index, number)
    fp.seek(start)
    data = fp.read(length)
    if shift or index["frame_bits"] % 8:
        return _bit_slice(data, shift, index["frame_bits"])
    return data


def _frames_from_dataset(image: StoredImage, numbers: list[int]) -> list[bytes]:
    with default_storage.open(image.file_name, "rb") as fp:
        ds = pydicom.dcmread(fp)
    ts = UID(str(ds.file_meta.TransferSyntaxUID))
    data = ds.PixelData
    if not ts.is_encapsulated and not ts.is_little_endian:
        data = _to_little_endian(data, image.bits_allocated)
    bits = _frame_bits(ds)
    frames = []
    for n in numbers:
        if not ts.is_encapsulated and bits % 8:
            frames.append(_bit_slice(data, (n - 1) * bits, bits))
        else:
            frames.append(
                frame_from_dataset_bytes(
                    data,
                    index=n - 1,
                    num_frames=image.number_of_frames,
                    ts=ts,
                    frame_length=bits // 8,
                )
            )
    return frames


def _frame_bits(ds: Dataset) -> int:
    rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    return rows * columns * samples * int(ds.get("BitsAllocated", 8) or 8)


def _bit_slice(data: bytes, start: int, length: int) -> bytes:
    """A run of bits of packed 1-bit pixel data, repacked to start on a byte (PS3.5 8.1.1)."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    return np.packbits(bits[start : start + length], bitorder="little").tobytes()


def _to_little_endian(data: bytes, bits_allocated: int) -> bytes:
    width = {16: np.uint16, 32: np.uint32, 64: np.uint64}.get(bits_allocated)
    if width is None:
        return data
    usable = len(data) - len(data) % np.dtype(width).itemsize
    return np.frombuffer(data[:usable], dtype=width).byteswap().tobytes() + data[usable:]


def pixel_data_chunks(image: StoredImage) -> Iterator[bytes]:
    """The whole native Pixel Data value, little endian, in chunks (for the bulkdata resource)."""
    if image.frame_index is None:
        yield b"".join(_frames_from_dataset(image, list(range(1, image.number_of_frames + 1))))
        return
    start, end = _native_value_span(image.frame_index, image.number_of_frames)
    with default_storage.open(image.file_name, "rb") as fp:
        fp.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = fp.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            if image.transfer_syntax_uid == BIG_ENDIAN:
                chunk = _to_little_endian(chunk, image.bits_allocated)
            yield chunk


def _native_value_span(index: FrameIndex, number_of_frames: int) -> tuple[int, int]:
    """First and past-the-end byte of all native frames."""
    if isinstance(index, dict):
        end_bit = index["offset"] * 8 + number_of_frames * index["frame_bits"]
        return index["offset"], (end_bit + 7) // 8
    return index[0][0][0], index[-1][-1][0] + index[-1][-1][1]


def bulk_element_read(file_name: str, tag: int) -> tuple[bytes, str] | None:
    """The value of a bulk data element other than Pixel Data (first match, sequences
    searched depth first) as little-endian bytes, with its VR; None when absent."""
    with default_storage.open(file_name, "rb") as fp:
        ds = _read(fp, stop_before_pixels=tag < PIXEL_DATA_TAG)  # type: ignore[arg-type]
    element = _find(ds, tag)
    if element is None or element.value is None:
        return None
    value = element.value
    if isinstance(value, str):
        return value.encode("utf-8"), element.VR
    if not isinstance(value, bytes | bytearray):
        return None
    if not ds.original_encoding[1]:  # stored big endian: words are swapped on the way out
        bits = {"OW": 16, "OF": 32, "OL": 32, "OD": 64, "OV": 64}.get(element.VR, 8)
        value = _to_little_endian(bytes(value), bits)
    return bytes(value), element.VR


def _read(fp: BinaryIO, *, stop_before_pixels: bool) -> Dataset:
    return pydicom.dcmread(fp, stop_before_pixels=stop_before_pixels)


def _find(ds: Dataset, tag: int) -> DataElement | None:
    if tag in ds:
        return ds[tag]
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                found = _find(item, tag)
                if found is not None:
                    return found
    return None
