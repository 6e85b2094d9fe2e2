"""Locate each frame's bytes inside a stored Part 10 file, and read them back.

The index is computed once at ingest, so serving a frame is one seek and one read per fragment.
Native (uncompressed) frames lie at fixed intervals, so their index is two numbers whatever the
frame count; compressed frames keep one entry per fragment, and their count is bounded.
"""

from __future__ import annotations

import bisect
import io
import struct
from typing import BinaryIO

from pydicom import encaps
from pydicom.uid import UID

from archive.dicom.failures import OUT_OF_RESOURCES, InstanceRefused

Fragments = list[list[int]]  # [[offset, length], …] in the stored file
# Stored in Instance.frame_index. Native: {"offset": value offset, "frame_bits": bits per frame}
# (frame n starts n * frame_bits bits into the value; 1-bit frames may share a byte). Compressed,
# and native rows stored before the compact form: one list of fragments per frame.
FrameIndex = list[Fragments] | dict[str, int]

ITEM_TAG = 0xE000FFFE  # (FFFE,E000) read as a little-endian uint32
SEQUENCE_DELIMITER = 0xE0DDFFFE
FRAGMENTS_PER_FRAME = 4  # on average, before a fragment sequence is refused as too long


def max_frames() -> int:
    """ARCHIVE_MAX_FRAMES: the most frames of compressed pixel data an instance may have."""
    from django.conf import settings

    return int(settings.ARCHIVE_MAX_FRAMES)


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
        (length,) = struct.unpack(f"{endian}I", _read_exactly(fp, 4))
    else:
        vr = fp.read(2)
        if vr in (b"OB", b"OW", b"OF", b"OD", b"OL", b"UN", b"OV"):
            fp.read(2)
            (length,) = struct.unpack(f"{endian}I", _read_exactly(fp, 4))
        else:
            (length,) = struct.unpack(f"{endian}H", _read_exactly(fp, 2))
    return fp.tell(), length


def _read_exactly(fp: BinaryIO, size: int) -> bytes:
    data = fp.read(size)
    if len(data) < size:
        raise InstanceRefused("Pixel Data is truncated: the file ends inside its header")
    return data


def native_frame_index(
    *, value_offset: int, value_length: int, file_size: int, num_frames: int, frame_bits: int
) -> FrameIndex:
    """Where uncompressed frames lie: {"offset", "frame_bits"}, the same size for any frame count.

    Refuses pixel data shorter than the header promises.
    """
    needed = (num_frames * frame_bits + 7) // 8
    available = min(value_length, file_size - value_offset)
    if available < needed:
        raise InstanceRefused(
            f"Pixel Data is truncated: {available} bytes present, {needed} needed for "
            f"{num_frames} frame(s)"
        )
    return {"offset": value_offset, "frame_bits": frame_bits}


def encapsulated_frame_index(
    fp: BinaryIO, *, value_offset: int, num_frames: int, file_size: int
) -> FrameIndex:
    """Frame positions of encapsulated (compressed) pixel data, from its item structure.

    Uses the Basic Offset Table when present; otherwise one fragment per frame, or all fragments
    for a single frame. Refuses a sequence that ends before its delimiter (a truncated file), and
    more than ARCHIVE_MAX_FRAMES frames (or FRAGMENTS_PER_FRAME times as many fragments).
    """
    limit = max_frames()
    if num_frames > limit:
        raise InstanceRefused(
            f"Number of Frames is {num_frames}; this archive stores at most {limit} frames of "
            "compressed pixel data per instance (ARCHIVE_MAX_FRAMES)",
            failure_code=OUT_OF_RESOURCES,
        )
    fp.seek(value_offset)
    offsets_table = _offset_table(fp)
    fragments = _fragments(fp, file_size=file_size, limit=FRAGMENTS_PER_FRAME * limit)
    return _group_fragments(fragments, offsets_table, num_frames)


def _item_header(fp: BinaryIO) -> tuple[int, int]:
    header = fp.read(8)
    if len(header) < 8:
        raise InstanceRefused("Pixel Data is truncated: the fragment sequence has no end")
    tag, length = struct.unpack("<II", header)
    if tag not in (ITEM_TAG, SEQUENCE_DELIMITER):
        raise InstanceRefused(f"Pixel Data is malformed: unexpected tag {tag:#010x} in fragments")
    return tag, length


def _offset_table(fp: BinaryIO) -> list[int]:
    """The Basic Offset Table (the first item), as offsets; empty when it is empty."""
    tag, length = _item_header(fp)
    if tag != ITEM_TAG:
        raise InstanceRefused("Pixel Data has no fragments")
    if length % 4:
        raise InstanceRefused(
            f"Pixel Data is malformed: its Basic Offset Table is {length} bytes long, "
            "not a multiple of 4"
        )
    table = fp.read(length)
    if len(table) < length:
        raise InstanceRefused("Pixel Data is truncated inside its Basic Offset Table")
    return list(struct.unpack(f"<{length // 4}I", table))


def _fragments(fp: BinaryIO, *, file_size: int, limit: int) -> Fragments:
    fragments: Fragments = []
    while True:
        tag, length = _item_header(fp)
        if tag == SEQUENCE_DELIMITER:
            break
        start = fp.tell()
        if start + length > file_size:
            raise InstanceRefused("Pixel Data is truncated inside a fragment")
        if len(fragments) >= limit:
            raise InstanceRefused(
                f"Pixel Data has more than {limit} fragments; this archive stores at most that "
                "many per instance",
                failure_code=OUT_OF_RESOURCES,
            )
        fp.seek(length, io.SEEK_CUR)
        fragments.append([start, length])
    if not fragments:
        raise InstanceRefused("Pixel Data has no fragments")
    return fragments


def _group_fragments(
    fragments: Fragments, offsets_table: list[int], num_frames: int
) -> list[Fragments]:
    if num_frames <= 1:
        return [fragments]
    if len(fragments) == num_frames:
        return [[fragment] for fragment in fragments]
    if len(offsets_table) == num_frames:
        # Offsets count from the first fragment's item tag, 8 bytes before its value.
        base = fragments[0][0] - 8
        starts = [base + offset for offset in offsets_table]
        if starts[0] != base or starts != sorted(starts):
            raise InstanceRefused("Pixel Data is malformed: its Basic Offset Table is not in order")
        frames: list[Fragments] = [[] for _ in range(num_frames)]
        for fragment in fragments:
            frames[bisect.bisect_right(starts, fragment[0] - 8) - 1].append(fragment)
        if not all(frames):
            raise InstanceRefused(
                "Pixel Data is malformed: its Basic Offset Table points between fragments"
            )
        return frames
    raise InstanceRefused(
        f"Pixel Data has {len(fragments)} fragments for {num_frames} frames and no offset table"
    )


def frame_fragments(index: FrameIndex, number: int) -> Fragments:
    """The fragments of frame `number` (1-based) in a list-form index."""
    if isinstance(index, dict):
        raise TypeError("a native frame index has no fragments; use native_frame_span")
    return index[number - 1]


def native_frame_span(index: dict[str, int], number: int) -> tuple[int, int, int]:
    """(first byte, byte count, bit shift) that hold native frame `number` (1-based).

    The shift is non-zero only for packed 1-bit frames that start inside a byte.
    """
    first_bit = index["offset"] * 8 + (number - 1) * index["frame_bits"]
    start, shift = divmod(first_bit, 8)
    return start, (shift + index["frame_bits"] + 7) // 8, shift


def frame_read(fp: BinaryIO, fragments: Fragments) -> bytes:
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
