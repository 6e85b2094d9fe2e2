"""Parse and validate one Part 10 file: everything the index, the frame index and WADO need.

Reads the header once with pydicom (pixel data is never loaded whole), checks what an archive
must be able to rely on, and refuses the rest with a reason a sender can act on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

import pydicom
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.pixels import pixel_array
from pydicom.tag import BaseTag
from pydicom.uid import UID

from archive.dicom import frames, index_attributes, structure
from archive.dicom.dicom_json import dataset_to_json
from archive.dicom.failures import (
    DATASET_DOES_NOT_MATCH,
    TRANSFER_SYNTAX_NOT_SUPPORTED,
    InstanceRefused,
)

logger = logging.getLogger(__name__)

# PS3.5 9.1: digits and dots, no empty component, no leading zero unless the component is "0".
UID_PATTERN = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
REQUIRED_UIDS = (
    ("SOPClassUID", BaseTag(0x00080016)),
    ("SOPInstanceUID", BaseTag(0x00080018)),
    ("StudyInstanceUID", BaseTag(0x0020000D)),
    ("SeriesInstanceUID", BaseTag(0x0020000E)),
)
TRANSFER_SYNTAX_TAG = BaseTag(0x00020010)
# Index columns narrower than PostgreSQL's integer (archive.models.Instance).
INDEX_INTEGER_RANGES = {
    "rows": (0, 2**31 - 1),
    "columns": (0, 2**31 - 1),
    "number_of_frames": (0, 2**31 - 1),
    "bits_allocated": (0, 2**15 - 1),
    "samples_per_pixel": (0, 2**15 - 1),
}
BULK_BASE = "{+base}"
PIXEL_DATA_TAG = 0x7FE00010
DEFLATED = "1.2.840.10008.1.2.1.99"


@dataclass(frozen=True)
class ParsedInstance:
    """What ingest stores about one instance; built by `parse_instance`."""

    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    transfer_syntax_uid: str
    patient: dict[str, str]
    study: dict[str, Any]
    series: dict[str, Any]
    instance: dict[str, Any]
    frame_index: frames.FrameIndex | None
    metadata_json: str


def parse_instance(fp: BinaryIO, *, file_size: int, check_pixels: bool = True) -> ParsedInstance:
    """Parse the Part 10 file open in `fp` (seekable, at 0). Raises InstanceRefused with a reason.

    With check_pixels the first frame of compressed data is decoded, so undecodable pixel data
    is refused at the door rather than discovered by a reader. Raises nothing else: a flaw no
    check foresaw refuses this one file too, so it can never fail the other files of a request.
    """
    try:
        return _parse(fp, file_size=file_size, check_pixels=check_pixels)
    except InstanceRefused:
        raise
    except Exception as exc:
        # The type and the line are enough to reproduce it with the fuzzer; the message may
        # quote the file's values, which stay out of the log.
        logger.warning("instance_unparsable error=%s at=%s", type(exc).__name__, _where(exc))
        raise InstanceRefused(f"The data set cannot be read: {_describe(exc)}") from exc


def _where(exc: BaseException) -> str:
    frames_ = traceback.extract_tb(exc.__traceback__)
    return f"{os.path.basename(frames_[-1].filename)}:{frames_[-1].lineno}" if frames_ else "?"


def _describe(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, OSError):
        return type(exc).__name__  # its message may name a server path
    message = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _parse(fp: BinaryIO, *, file_size: int, check_pixels: bool) -> ParsedInstance:
    ts = _check_structure(fp, file_size=file_size)
    ds = _read_header(fp)
    uids = _required_uids(ds)
    num_frames = _number_of_frames(ds, uids)
    frame_index = _frame_index(fp, ds, ts, num_frames=num_frames, file_size=file_size, uids=uids)
    if check_pixels and frame_index is not None and ts.is_encapsulated:
        _check_first_frame_decodes(fp, ds, ts, uids)
    base = f"{BULK_BASE}/studies/{uids[2]}/series/{uids[3]}/instances/{uids[1]}"
    body = _metadata(ds, ts, base, has_pixels=PIXEL_DATA_TAG in ds._dict)
    return ParsedInstance(
        sop_class_uid=uids[0],
        sop_instance_uid=uids[1],
        study_instance_uid=uids[2],
        series_instance_uid=uids[3],
        transfer_syntax_uid=str(ts),
        patient=_indexable(index_attributes.patient_attributes(body)),
        study=_indexable(index_attributes.study_attributes(body)),
        series=_indexable(index_attributes.series_attributes(body)),
        instance=_indexable(index_attributes.instance_attributes(body, num_frames)),
        frame_index=frame_index,
        metadata_json=json.dumps(body, separators=(",", ":")),
    )


def _indexable(attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes as the index columns can hold them, so that one instance's odd value
    cannot fail the transaction that indexes the other instances of its request.

    PostgreSQL text has no NUL; a number beyond its column's range is kept out of the index
    (the stored file and the metadata keep it).
    """
    clean: dict[str, Any] = {}
    for name, value in attributes.items():
        if isinstance(value, str):
            value = value.replace("\x00", "")
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = INDEX_INTEGER_RANGES.get(name, (-(2**31), 2**31 - 1))
            value = value if low <= value <= high else None
        clean[name] = value
    return clean


def _check_structure(fp: BinaryIO, *, file_size: int) -> UID:
    """Read the File Meta Information and walk the data set's element structure.

    Done before pydicom reads the data set, which trusts every length it is given.
    """
    try:
        read_preamble(fp, False)
        # pydicom's own reader of group 0002; it leaves `fp` where the data set starts.
        meta = _read_file_meta_info(fp)
    except InvalidDicomError as exc:
        raise InstanceRefused(
            "Not a DICOM Part 10 file: no 128-byte preamble with 'DICM' and File Meta "
            f"Information ({exc})"
        ) from exc
    except (ValueError, EOFError, KeyError, TypeError, struct.error, BytesLengthException) as exc:
        raise InstanceRefused(f"The File Meta Information cannot be read: {exc}") from exc
    ts = _transfer_syntax(meta)
    structure.check_structure(
        fp, dataset_offset=fp.tell(), file_size=file_size, transfer_syntax=str(ts)
    )
    fp.seek(0)
    return ts


def _read_header(fp: BinaryIO) -> Dataset:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(fp, stop_before_pixels=True)
        except (ValueError, EOFError, OSError, KeyError, TypeError, struct.error) as exc:
            raise InstanceRefused(f"The DICOM data set cannot be read: {exc}") from exc
    for warning in caught:
        if "End of file reached" in str(warning.message):
            raise InstanceRefused("The file is truncated: it ends inside a sequence")
    _refuse_truncated_elements(ds)
    if PIXEL_DATA_TAG in ds._dict:
        return ds
    if ds.file_meta.get("TransferSyntaxUID") == DEFLATED:
        # The file position says nothing inside an inflated stream: read it whole (deflated
        # files are rare and small) so Pixel Data is seen; frames are then read by parsing.
        fp.seek(0)
        return pydicom.dcmread(fp)
    # stop_before_pixels left the file at the Pixel Data element, if there is one.
    position = fp.tell()
    if fp.read(4) in (b"\xe0\x7f\x10\x00", b"\x7f\xe0\x00\x10"):
        ds._pixel_position = position  # type: ignore[attr-defined]
    return ds


def _refuse_truncated_elements(ds: Dataset) -> None:
    """pydicom reads a value cut short by end of file without complaint; an archive must not."""
    for element in ds._dict.values():
        if (
            isinstance(element, RawDataElement)
            and element.value is not None
            and element.length != 0xFFFFFFFF
            and len(element.value) < element.length
        ):
            raise InstanceRefused(
                f"The file is truncated: element {element.tag} holds {len(element.value)} of "
                f"{element.length} bytes"
            )


def _transfer_syntax(meta: Dataset) -> UID:
    value = _uid_text(meta, TRANSFER_SYNTAX_TAG)
    if not value:
        raise InstanceRefused(
            "File Meta Information has no Transfer Syntax UID (0002,0010)",
            failure_code=TRANSFER_SYNTAX_NOT_SUPPORTED,
        )
    problem = uid_problem(value)
    if problem or not UID(value).is_transfer_syntax:
        # The reason before the value: C-STORE's Error Comment keeps only 64 characters.
        raise InstanceRefused(
            f"Transfer Syntax UID is not a transfer syntax this archive reads"
            f"{f' ({problem})' if problem else ''}: {value[:70]!r}",
            failure_code=TRANSFER_SYNTAX_NOT_SUPPORTED,
        )
    return UID(value)


def _required_uids(ds: Dataset) -> tuple[str, str, str, str]:
    values: list[str] = []
    for name, tag in REQUIRED_UIDS:
        value = _uid_text(ds, tag)
        if not value:
            raise InstanceRefused(
                f"Required attribute {name} is missing",
                failure_code=DATASET_DOES_NOT_MATCH,
                sop_class_uid=values[0] if values else "",
                sop_instance_uid=values[1] if len(values) > 1 else "",
            )
        problem = uid_problem(value)
        if problem:
            raise InstanceRefused(
                f"{name} is not a valid UID ({problem}): {value[:70]!r}",
                failure_code=DATASET_DOES_NOT_MATCH,
            )
        values.append(value)
    return values[0], values[1], values[2], values[3]


def _uid_text(ds: Dataset, tag: BaseTag) -> str:
    """A UI value as sent, less its trailing padding: NUL, as PS3.5 says, or a space, as many
    devices send it (pydicom strips those too); anything else stays and is judged."""
    element = ds._dict.get(tag)
    if element is None or element.value is None:
        return ""
    value = element.value
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00 ")
    return str(value).rstrip("\x00 ")


def uid_problem(value: str) -> str | None:
    """Why `value` is not a UID (PS3.5 9.1), or None when it is one."""
    if len(value) > 64:
        return "longer than 64 characters"
    if UID_PATTERN.fullmatch(value):
        return None
    if re.fullmatch(r"[0-9.]+", value):
        if any(part.startswith("0") and part != "0" for part in value.split(".")):
            return "a component starts with a zero"
        return "an empty component"
    return "only digits and dots are allowed"


def _number_of_frames(ds: Dataset, uids: tuple[str, str, str, str]) -> int:
    if "PixelData" not in ds and not getattr(ds, "_pixel_position", None):
        return 0
    raw = ds._dict.get(BaseTag(0x00280008))
    if raw is None:
        return 1
    text = (
        raw.value.decode("ascii", "replace").strip(" \x00")
        if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes)
        else str(ds.get("NumberOfFrames", "1"))
    )
    try:
        count = int(text or "1")
    except ValueError as exc:
        raise InstanceRefused(
            f"Number of Frames (0028,0008) is {text!r}, not an integer",
            failure_code=DATASET_DOES_NOT_MATCH,
            sop_class_uid=uids[0],
            sop_instance_uid=uids[1],
        ) from exc
    if count < 1:
        raise InstanceRefused(f"Number of Frames is {count}", sop_instance_uid=uids[1])
    return count


def _frame_index(
    fp: BinaryIO,
    ds: Dataset,
    ts: UID,
    *,
    num_frames: int,
    file_size: int,
    uids: tuple[str, str, str, str],
) -> frames.FrameIndex | None:
    position = getattr(ds, "_pixel_position", None)
    if num_frames == 0:
        return None
    if position is None:
        # Deflated files are inflated in memory by pydicom: no positions in the stored file.
        return None
    try:
        fp.seek(position)
        offset, length = frames.pixel_element_header(
            fp, implicit_vr=ts.is_implicit_VR, little_endian=ts.is_little_endian
        )
        if ts.is_encapsulated:
            if length != 0xFFFFFFFF:
                raise InstanceRefused("Compressed Pixel Data must have undefined length")
            return frames.encapsulated_frame_index(
                fp, value_offset=offset, num_frames=num_frames, file_size=file_size
            )
        rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        bits = int(ds.get("BitsAllocated", 0) or 0)
        if not (rows and columns and bits):
            raise InstanceRefused("Pixel Data without Rows, Columns or Bits Allocated")
        return frames.native_frame_index(
            value_offset=offset,
            value_length=length,
            file_size=file_size,
            num_frames=num_frames,
            frame_bits=frames.native_frame_bits(rows, columns, samples, bits),
        )
    except InstanceRefused as exc:
        exc.sop_class_uid, exc.sop_instance_uid = uids[0], uids[1]
        raise


def _check_first_frame_decodes(
    fp: BinaryIO, ds: Dataset, ts: UID, uids: tuple[str, str, str, str]
) -> None:
    fp.seek(0)
    try:
        pixel_array(fp, index=0)
    except Exception as exc:
        # pydicom lists one line per decoder plugin; the first plugin's reason is the useful one.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = (lines[1] if len(lines) > 1 else lines[0]) if lines else type(exc).__name__
        raise InstanceRefused(
            f"Pixel Data cannot be decoded ({ts.name}): {detail[:200]}",
            sop_class_uid=uids[0],
            sop_instance_uid=uids[1],
        ) from exc


def _metadata(ds: Dataset, ts: UID, base: str, *, has_pixels: bool) -> dict[str, Any]:
    """DICOM JSON of the data set with large binary values replaced by BulkDataURIs."""
    from django.conf import settings

    def bulk_uri(element: DataElement) -> str:
        return f"{base}/bulkdata/{element.tag:08X}"

    pixel_position = getattr(ds, "_pixel_position", None)
    pixel_vr = None
    if has_pixels:
        pixel_vr = ds["PixelData"].VR
        del ds.PixelData
    body = dataset_to_json(
        ds,
        bulk_data_threshold=settings.ARCHIVE_BULK_DATA_THRESHOLD,
        bulk_data_element_handler=bulk_uri,
    )
    body["00020010"] = {"vr": "UI", "Value": [str(ts)]}
    body["00083002"] = {"vr": "UI", "Value": [str(ts)]}
    if has_pixels or pixel_position is not None:
        vr = pixel_vr or ("OB" if ts.is_encapsulated or _bits(ds) <= 8 else "OW")
        body["7FE00010"] = {
            "vr": vr if vr in ("OB", "OW") else "OB",
            "BulkDataURI": f"{base}/bulkdata/7FE00010",
        }
    return body


def _bits(ds: Dataset) -> int:
    return int(ds.get("BitsAllocated", 16) or 16)


def file_size_of(fp: BinaryIO) -> int:
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(0)
    return size
