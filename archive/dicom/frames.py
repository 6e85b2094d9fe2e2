"""Locate each frame's bytes inside a stored Part 10 file, and read them back.

The index is computed once at ingest, so serving a frame is one seek and one read per fragment.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

from pydicom import encaps
from pydicom.uid import UID

from archive.dicom.failures import InstanceRefused

FrameIndex = list[list[list[int]]]  # frames -> fragments -> [offset, length]

ITEM_TAG = 0xE000FFFE  # (FFFE,E000) read as a little-endian uint32
SEQUENCE_DELIMITER = 0xE0DDFFFE


def native_frame_bits(rows: int, columns: int, samples: int, bits_allocated: int) -> int:
    """Bits in one uncompressed frame (1-bit data is packed, so frames may share a byte)."""
    return rows * columns * samples * bits_allocated


def pixel_element_header(
    fp: BinaryIO, *, implicit_vr: bool, little_endian: bool
) -> tuple[int, int]:
    """Read the Pixel Data element header at the current position; return (value offset, length)."""
    endian = "<" if little_endian else ">"
    fp.read(4)  # the tag, already matched by the caller's stop_before_pixels read
    if implicit_vr:
        (length,) = struct.unpack(f"{endian}I", fp.read(4))
    else:
        vr = fp.read(2)
        if vr in (b"OB", b"OW", b"OF", b"OD", b"OL", b"UN", b"OV"):
            fp.read(2)
            (length,) = struct.unpack(f"{endian}I", fp.read(4))
        else:
            (length,) = struct.unpack(f"{endian}H", fp.read(2))
    return fp.tell(), length


def native_frame_index(
    *, value_offset: int, value_length: int, file_size: int, num_frames: int, frame_bits: int
) -> FrameIndex | None:
    """Frame positions of uncompressed pixel data; refuse data shorter than the header promises.

    None when frames do not start on byte boundaries (odd-sized 1-bit frames).
    """
    needed = (num_frames * frame_bits + 7) // 8
    available = min(value_length, file_size - value_offset)
    if available < needed:
        raise InstanceRefused(
            f"Pixel Data is truncated: {available} bytes present, {needed} needed for "
            f"{num_frames} frame(s)"
        )
    if frame_bits % 8:
        return None
    frame_length = frame_bits // 8
    return [[[value_offset + i * frame_length, frame_length]] for i in range(num_frames)]


def encapsulated_frame_index(
    fp: BinaryIO, *, value_offset: int, num_frames: int, file_size: int
) -> FrameIndex:
    """Frame positions of encapsulated (compressed) pixel data, from its item structure.

    Uses the Basic Offset Table when present; otherwise one fragment per frame, or all fragments
    for a single frame. Refuses a sequence that ends before its delimiter (a truncated file).
    """
    fp.seek(value_offset)
    fragments: list[list[int]] = []
    offsets_table: list[int] = []
    first = True
    while True:
        header = fp.read(8)
        if len(header) < 8:
            raise InstanceRefused("Pixel Data is truncated: the fragment sequence has no end")
        tag, length = struct.unpack("<II", header)
        if tag == SEQUENCE_DELIMITER:
            break
        if tag != ITEM_TAG:
            raise InstanceRefused(
                f"Pixel Data is malformed: unexpected tag {tag:#010x} in fragments"
            )
        start = fp.tell()
        if first:
            table = fp.read(length)
            offsets_table = list(struct.unpack(f"<{length // 4}I", table)) if length else []
            first = False
            continue
        if start + length > file_size:
            raise InstanceRefused("Pixel Data is truncated inside a fragment")
        fp.seek(length, io.SEEK_CUR)
        fragments.append([start, length])
    if not fragments:
        raise InstanceRefused("Pixel Data has no fragments")
    return _group_fragments(fragments, offsets_table, num_frames)


def _group_fragments(
    fragments: list[list[int]], offsets_table: list[int], num_frames: int
) -> FrameIndex:
    if num_frames <= 1:
        return [fragments]
    if len(fragments) == num_frames:
        return [[fragment] for fragment in fragments]
    if len(offsets_table) == num_frames:
        # Offsets count from the first fragment's item tag, 8 bytes before its value.
        base = fragments[0][0] - 8
        frames: FrameIndex = [[] for _ in range(num_frames)]
        starts = [base + offset for offset in offsets_table]
        for fragment in fragments:
            frame = max(i for i, s in enumerate(starts) if s <= fragment[0] - 8)
            frames[frame].append(fragment)
        return frames
    raise InstanceRefused(
        f"Pixel Data has {len(fragments)} fragments for {num_frames} frames and no offset table"
    )


def frame_read(fp: BinaryIO, fragments: list[list[int]]) -> bytes:
    """The bytes of one frame, joining its fragments."""
    parts = []
    for offset, length in fragments:
        fp.seek(offset)
        parts.append(fp.read(length))
    return b"".join(parts)


def frame_from_dataset_bytes(
    pixel_data: bytes, *, index: int, num_frames: int, ts: UID, frame_length: int
) -> bytes:
    """A frame from in-memory Pixel Data, for files whose frames cannot be read in place."""
    if ts.is_encapsulated:
        return encaps.get_frame(pixel_data, index, number_of_frames=num_frames)
    return pixel_data[index * frame_length : (index + 1) * frame_length]
