"""Many frames cost little (issue 10, item 10): native frames are found by arithmetic, so the
stored frame index stays a few bytes whatever the frame count; compressed frames keep one entry
each and are refused over ARCHIVE_MAX_FRAMES; rows stored with the old list form still read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.apps import apps
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from archive.dicom.failures import InstanceRefused
from archive.models import Instance

pytestmark = pytest.mark.django_db
MULTIFRAME_SC = "1.2.840.10008.5.1.4.1.1.7.2"


def image_file(
    path: Path,
    *,
    frames: int,
    rows: int = 1,
    columns: int = 1,
    bits: int = 8,
    pixel_data: bytes | None = None,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> Path:
    """A multi-frame grey image, frames numbered in their pixel values unless data is given."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MULTIFRAME_SC
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = MULTIFRAME_SC, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.Modality = "FRAMES", "Frames^Many", "OT"
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = 0
    if pixel_data is None:
        dtype = {8: np.uint8, 16: np.uint16}[bits]
        values = (np.arange(frames * rows * columns) // (rows * columns)).astype(dtype)
        if transfer_syntax == ExplicitVRBigEndian:  # pydicom writes OB/OW bytes as given
            values = values.astype(values.dtype.newbyteorder(">"))
        pixel_data = values.tobytes()
    ds.PixelData = pixel_data
    ds["PixelData"].VR = "OB" if bits <= 8 else "OW"
    if transfer_syntax == JPEGBaseline8Bit:
        ds["PixelData"].is_undefined_length = True
    ds.save_as(path, enforce_file_format=True, little_endian=transfer_syntax != ExplicitVRBigEndian)
    return path


def frames_url(path: Path, frames: str) -> str:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return (
        f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}/frames/{frames}"
    )


def get_frame(client, path: Path, number: int) -> bytes:
    response = client.get(frames_url(path, str(number)), HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200
    return response.content


def test_a_native_image_of_200000_frames_keeps_a_frame_index_of_a_few_bytes(
    tmp_path, client_for, ingest_file
):
    path = image_file(tmp_path / "many.dcm", frames=200_000, bits=16)
    ingest_file(path)
    reader = client_for("radiologist")

    stored = Instance.objects.values_list("frame_index", flat=True).get()
    assert len(json.dumps(stored)) < 100
    for number in (1, 2, 100_000, 200_000):
        assert get_frame(reader, path, number) == np.uint16((number - 1) % 65536).tobytes()
    thumbnail = reader.get(frames_url(path, "1").removesuffix("/frames/1") + "/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"


def test_packed_1_bit_frames_that_share_bytes_come_out_each_on_their_own(
    tmp_path, client_for, ingest_file
):
    # 3x3 1-bit frames: 9 bits each, so frame 2 starts at bit 1 of byte 1.
    bits = np.random.default_rng(7).integers(0, 2, size=5 * 9).astype(np.uint8)
    packed = np.packbits(bits, bitorder="little").tobytes()
    path = image_file(tmp_path / "bits.dcm", frames=5, rows=3, columns=3, bits=1, pixel_data=packed)
    ingest_file(path)
    reader = client_for("radiologist")

    for number in range(1, 6):
        expected = np.packbits(bits[(number - 1) * 9 : number * 9], bitorder="little").tobytes()
        assert get_frame(reader, path, number) == expected


def test_big_endian_frames_come_out_little_endian(tmp_path, client_for, ingest_file):
    path = image_file(
        tmp_path / "be.dcm",
        frames=3,
        rows=2,
        columns=2,
        bits=16,
        transfer_syntax=ExplicitVRBigEndian,
    )
    ingest_file(path)
    reader = client_for("radiologist")

    assert get_frame(reader, path, 3) == np.full(4, 2, dtype="<u2").tobytes()


def test_rows_with_the_old_list_index_still_read_and_the_migration_compacts_them(
    tmp_path, client_for, ingest_file
):
    path = image_file(tmp_path / "old.dcm", frames=4, rows=2, columns=2, bits=16)
    ingest_file(path)
    reader = client_for("radiologist")
    instance = Instance.objects.get()
    offset = instance.frame_index["offset"]
    old = [[[offset + i * 8, 8]] for i in range(4)]
    Instance.objects.filter(pk=instance.pk).update(frame_index=old)

    assert get_frame(reader, path, 4) == np.full(4, 3, dtype="<u2").tobytes()

    migration = __import__(
        "archive.migrations.0004_compact_native_frame_index", fromlist=["compact"]
    )
    migration.compact(apps, None)

    assert Instance.objects.get().frame_index == {"offset": offset, "frame_bits": 64}
    assert get_frame(reader, path, 4) == np.full(4, 3, dtype="<u2").tobytes()


def compressed_file(path: Path, *, frames: int, offset_table: bytes | None = None) -> Path:
    fragments = encapsulate([b"\xff\xd8\xff\xd9"] * frames, has_bot=False)
    table = b"" if offset_table is None else offset_table
    data = b"\xfe\xff\x00\xe0" + len(table).to_bytes(4, "little") + table + fragments[8:]
    return image_file(path, frames=frames, transfer_syntax=JPEGBaseline8Bit, pixel_data=data)


def test_compressed_pixel_data_over_the_frame_maximum_is_refused_with_the_reason(
    tmp_path, ingest_file, settings
):
    settings.ARCHIVE_MAX_FRAMES = 10
    path = compressed_file(tmp_path / "jpeg.dcm", frames=11)

    with pytest.raises(InstanceRefused, match="ARCHIVE_MAX_FRAMES") as refused:
        ingest_file(path)

    assert refused.value.failure_code == 0xA700
    assert not Instance.objects.exists()


def test_a_basic_offset_table_not_a_multiple_of_4_bytes_is_refused(tmp_path, ingest_file):
    path = compressed_file(tmp_path / "bot.dcm", frames=2, offset_table=b"\x00" * 6)

    with pytest.raises(InstanceRefused, match="multiple of 4"):
        ingest_file(path)
