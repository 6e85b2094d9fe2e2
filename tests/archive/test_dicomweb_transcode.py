"""WADO-RS in the default transfer syntax: a client that names none (or Explicit VR Little
Endian) gets instances and frames decoded from whatever the archive stores, with the pixels
pydicom decodes from the stored file; a client that takes the stored syntax still gets it."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from tests.archive.dicomweb_helpers import dicomweb_client, multipart_parts, uids
from tests.conftest import SHARED_DICOM

TS = SHARED_DICOM / "transfer_syntaxes"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
# One instance of every transfer syntax in the shared data, the colour JPEG (YBR) included.
STORED = sorted(path for path in TS.rglob("*.dcm") if "CT1" in path.name or "MR_small" in path.name)
STORED += [TS / "1.2.840.10008.1.2.4.50_jpeg_baseline" / "SC_rgb_testpattern_jpeg.dcm"]
STORED += [TS / "1.2.840.10008.1.2.4.51_jpeg_extended" / "NM1_JPGExtended.dcm"]
STORED += [TS / "1.2.840.10008.1.2.1.99_deflated" / "image_dfl.dcm"]
COMPRESSED = [p for p in STORED if pydicom.dcmread(p).file_meta.TransferSyntaxUID.is_compressed]
J2K = TS / "1.2.840.10008.1.2.4.90_jpeg2000_lossless" / "CT1_J2KR.dcm"
RLE = TS / "1.2.840.10008.1.2.5_rle" / "CT1_RLE.dcm"
JPEG_US_30F = SHARED_DICOM / "multiframe" / "us_ybr_jpeg_baseline_30f.dcm"
DICOM = 'multipart/related; type="application/dicom"'

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(archive_server, make_user):
    from accounts.services import token_issue

    make_user("radiologist", "transcode-reader")
    return dicomweb_client(archive_server, token_issue(username="transcode-reader"))


def instance_url(reader, path) -> str:
    study, series, sop = uids(path)
    return f"{reader.root}/studies/{study}/series/{series}/instances/{sop}"


def get(reader, url: str, accept: str):
    return reader._session.get(url, headers={"Accept": accept})


def native_frame(path, number: int) -> bytes:
    """Frame `number` as pydicom decodes the stored file, in little-endian bytes."""
    pixels = pydicom.dcmread(path).pixel_array
    frames = pixels if int(pydicom.dcmread(path).get("NumberOfFrames", 1) or 1) > 1 else [pixels]
    frame = np.asarray(frames[number - 1])
    return frame.astype(frame.dtype.newbyteorder("<")).tobytes()


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.parent.name.split("_", 1)[1])
def test_an_instance_asked_for_in_the_default_syntax_comes_decoded_in_explicit_little_endian(
    reader, ingest_file, path
):
    ingest_file(path)

    plain = get(reader, instance_url(reader, path), DICOM)
    named = get(reader, instance_url(reader, path), f"{DICOM}; transfer-syntax={EXPLICIT_LE}")

    original = pydicom.dcmread(path)
    for response in (plain, named):
        assert response.status_code == 200
        [(headers, body)] = multipart_parts(response)
        assert headers["Content-Type"] == f"application/dicom; transfer-syntax={EXPLICIT_LE}"
        sent = pydicom.dcmread(io.BytesIO(body))
        assert sent.file_meta.TransferSyntaxUID == EXPLICIT_LE
        assert sent.SOPInstanceUID == original.SOPInstanceUID
        assert np.array_equal(sent.pixel_array, original.pixel_array)


@pytest.mark.parametrize("path", COMPRESSED, ids=lambda p: p.parent.name.split("_", 1)[1])
def test_compressed_frames_asked_for_as_octet_stream_come_decoded(reader, ingest_file, path):
    ingest_file(path)

    octets = "multipart/related; type=application/octet-stream"
    response = get(reader, f"{instance_url(reader, path)}/frames/1", octets)

    assert response.status_code == 200
    [(headers, body)] = multipart_parts(response)
    assert headers["Content-Type"] == f"application/octet-stream; transfer-syntax={EXPLICIT_LE}"
    assert body == native_frame(path, 1)


def test_dicomweb_client_asking_for_explicit_little_endian_frames_gets_them(reader, ingest_file):
    ingest_file(JPEG_US_30F)
    study, series, sop = uids(JPEG_US_30F)

    frames = reader.retrieve_instance_frames(
        study,
        series,
        sop,
        frame_numbers=[2, 30],
        media_types=(("application/octet-stream", EXPLICIT_LE),),
    )

    assert frames == [native_frame(JPEG_US_30F, 2), native_frame(JPEG_US_30F, 30)]


def test_a_client_that_takes_the_stored_syntax_gets_the_stored_bytes(reader, ingest_file):
    ingest_file(J2K)
    stored, syntax = J2K.read_bytes(), "1.2.840.10008.1.2.4.90"

    for accept in (f"{DICOM}; transfer-syntax=*", f"{DICOM}; transfer-syntax={syntax}"):
        response = get(reader, instance_url(reader, J2K), accept)

        [(headers, body)] = multipart_parts(response)
        assert headers["Content-Type"] == f"application/dicom; transfer-syntax={syntax}"
        assert body == stored


def _same_series(paths, tmp_path):
    """Copies of `paths` as instances of one new series of one new study."""
    study, series = generate_uid(), generate_uid()
    copies = []
    for number, path in enumerate(paths, start=1):
        ds = pydicom.dcmread(path)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.InstanceNumber = number
        ds.save_as(tmp_path / f"{number}.dcm", enforce_file_format=True)
        copies.append(tmp_path / f"{number}.dcm")
    return copies


def test_a_series_and_a_study_of_several_syntaxes_come_decoded_one_part_each(
    reader, ingest_file, tmp_path
):
    copies = _same_series([J2K, RLE, SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"], tmp_path)
    for path in copies:
        ingest_file(path)
    study, series, _ = uids(copies[0])

    explicit = (("application/dicom", EXPLICIT_LE),)
    series_sent = reader.retrieve_series(study, series, media_types=explicit)
    study_sent = reader.retrieve_study(study, media_types=explicit)

    originals = [pydicom.dcmread(p) for p in copies]
    for datasets in (series_sent, study_sent):
        assert [ds.file_meta.TransferSyntaxUID for ds in datasets] == [EXPLICIT_LE] * 3
        for sent, original in zip(datasets, originals, strict=True):
            assert sent.SOPInstanceUID == original.SOPInstanceUID
            assert np.array_equal(sent.pixel_array, original.pixel_array)


def test_a_syntax_that_cannot_be_decoded_is_406_with_the_reason(reader, ingest_file):
    """Ingest refuses pixel data it cannot decode, so an instance stored in a syntax without a
    decoder here (MPEG2 video, or one whose plug-in this deployment lacks) is made by hand."""
    from archive.models import Instance

    ingest_file(J2K)
    Instance.objects.update(transfer_syntax_uid="1.2.840.10008.1.2.4.100")

    response = get(reader, instance_url(reader, J2K), DICOM)
    frames = get(reader, f"{instance_url(reader, J2K)}/frames/1", "application/octet-stream")
    stored = get(reader, instance_url(reader, J2K), f"{DICOM}; transfer-syntax=*")

    assert response.status_code == 406
    assert "1.2.840.10008.1.2.4.100 cannot be decoded" in response.json()["detail"]
    assert frames.status_code == 406
    assert "video/mpeg" in frames.json()["detail"]
    assert stored.status_code == 200
