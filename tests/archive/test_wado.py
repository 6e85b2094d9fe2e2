"""WADO-RS: what a viewer gets when it loads instances, metadata and frames from the archive.

Frames are checked against pydicom reading the original file: native frames against the
decoded pixels, compressed frames against the encapsulated frame bytes (sent untouched).
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames

from tests.archive.dicomweb_helpers import (
    CORNERSTONE_ACCEPT,
    dicomweb_client,
    multipart_parts,
    uids,
)
from tests.conftest import SHARED_DICOM

TS = SHARED_DICOM / "transfer_syntaxes"
CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
CT_SERIES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
BIG_ENDIAN = TS / "1.2.840.10008.1.2.2_explicit_be" / "MR_small_bigendian.dcm"
DEFLATED = TS / "1.2.840.10008.1.2.1.99_deflated" / "image_dfl.dcm"
ENHANCED_MR = SHARED_DICOM / "multiframe" / "emri_small_enhanced_mr_10f.dcm"
RT_DOSE = SHARED_DICOM / "multiframe" / "rtdose_15f.dcm"
JPEG_US_30F = SHARED_DICOM / "multiframe" / "us_ybr_jpeg_baseline_30f.dcm"
JPEG_LOSSLESS = TS / "1.2.840.10008.1.2.4.70_jpeg_lossless_sv1" / "CT1_JPLL.dcm"
JPEG_LS = TS / "1.2.840.10008.1.2.4.80_jpegls_lossless" / "CT1_JLSL.dcm"
J2K = TS / "1.2.840.10008.1.2.4.90_jpeg2000_lossless" / "MR1_J2KR.dcm"
RLE_2F = SHARED_DICOM / "multiframe" / "us_palette_rle_2f.dcm"
SEG_1BIT = SHARED_DICOM / "multiframe" / "seg_liver_3f.dcm"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(archive_server, make_user):
    from accounts.services import token_issue

    make_user("radiologist", "wado-reader")
    return dicomweb_client(archive_server, token_issue(username="wado-reader"))


def instance_url(reader, path) -> str:
    study, series, sop = uids(path)
    return f"{reader.root}/studies/{study}/series/{series}/instances/{sop}"


def frames_get(reader, path, numbers: str, accept: str = CORNERSTONE_ACCEPT):
    return reader._session.get(
        f"{instance_url(reader, path)}/frames/{numbers}", headers={"Accept": accept}
    )


NATIVE_CASES = [
    (CT_SMALL, [1]),
    (BIG_ENDIAN, [1]),
    (DEFLATED, [1]),
    (ENHANCED_MR, [1, 7, 10]),
    (RT_DOSE, [15]),
    (SEG_1BIT, [2]),
]


@pytest.mark.parametrize(("path", "numbers"), NATIVE_CASES, ids=lambda v: getattr(v, "name", ""))
def test_native_frames_are_little_endian_pixels_as_pydicom_decodes_them(
    reader, ingest_file, path, numbers
):
    ingest_file(path)

    response = frames_get(reader, path, ",".join(map(str, numbers)))

    assert response.status_code == 200
    parts = multipart_parts(response)
    ds = pydicom.dcmread(path)
    pixels = (
        ds.pixel_array.reshape(-1, *ds.pixel_array.shape[-2:])
        if ds.get("NumberOfFrames", 1) not in (None, 1, "1")
        else ds.pixel_array[np.newaxis]
    )
    for (headers, body), number in zip(parts, numbers, strict=True):
        assert headers["Content-Type"] == (
            "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
        )
        expected = pixels[number - 1]
        if ds.BitsAllocated == 1:
            assert body == np.packbits(expected.ravel(), bitorder="little").tobytes()
        else:
            assert body == expected.astype(expected.dtype.newbyteorder("<")).tobytes()


COMPRESSED_CASES = [
    (JPEG_US_30F, [1, 15, 30], "image/jpeg", "1.2.840.10008.1.2.4.50"),
    (JPEG_LOSSLESS, [1], "image/jpeg", "1.2.840.10008.1.2.4.70"),
    (JPEG_LS, [1], "image/jls", "1.2.840.10008.1.2.4.80"),
    (J2K, [1], "image/jp2", "1.2.840.10008.1.2.4.90"),
    (RLE_2F, [2, 1], "image/dicom-rle", "1.2.840.10008.1.2.5"),
]


@pytest.mark.parametrize(
    ("path", "numbers", "media_type", "syntax"),
    COMPRESSED_CASES,
    ids=lambda v: getattr(v, "name", ""),
)
def test_compressed_frames_are_sent_as_stored_with_their_media_type(
    reader, ingest_file, path, numbers, media_type, syntax
):
    ingest_file(path)

    response = frames_get(reader, path, ",".join(map(str, numbers)))

    assert response.status_code == 200
    assert f'type="{media_type}"' in response.headers["Content-Type"]
    ds = pydicom.dcmread(path)
    stored = list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))
    parts = multipart_parts(response)
    assert [h["Content-Type"] for h, _ in parts] == [
        f"{media_type}; transfer-syntax={syntax}"
    ] * len(numbers)
    assert [body for _, body in parts] == [stored[n - 1] for n in numbers]


def test_dicomweb_client_gets_frames_with_its_default_accept(reader, ingest_file):
    ingest_file(JPEG_LS)
    study, series, sop = uids(JPEG_LS)

    frames = reader.retrieve_instance_frames(study, series, sop, frame_numbers=[1])

    ds = pydicom.dcmread(JPEG_LS)
    assert frames == [next(generate_frames(ds.PixelData, number_of_frames=1))]


def test_one_frame_asked_without_multipart_comes_as_a_single_body(reader, ingest_file):
    ingest_file(J2K)

    response = frames_get(reader, J2K, "1", accept="image/jp2")

    assert response.headers["Content-Type"] == "image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90"
    ds = pydicom.dcmread(J2K)
    assert response.content == next(generate_frames(ds.PixelData, number_of_frames=1))


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        (J2K, 'multipart/related; type="image/jpeg"'),
        (J2K, "multipart/related; type=image/jp2; transfer-syntax=1.2.840.10008.1.2.4.91"),
        (CT_SMALL, 'multipart/related; type="image/jls"'),
    ],
)
def test_frames_the_archive_could_only_send_by_encoding_are_refused_with_406(
    reader, ingest_file, path, accept
):
    ingest_file(path)

    response = frames_get(reader, path, "1", accept=accept)

    assert response.status_code == 406
    assert "does not encode images" in response.json()["detail"]


def test_series_metadata_points_to_this_server_for_the_pixels(reader, ingest_file, archive_server):
    for path in CT_SERIES:
        ingest_file(path)
    study, series, _ = uids(CT_SERIES[0])

    metadata = reader.retrieve_series_metadata(study, series)

    originals = {ds.SOPInstanceUID: ds for ds in map(pydicom.dcmread, CT_SERIES)}
    assert {m["00080018"]["Value"][0] for m in metadata} == set(originals)
    for item in metadata:
        uri = item["7FE00010"]["BulkDataURI"]
        sop = item["00080018"]["Value"][0]
        assert uri == (
            f"{archive_server}/dicomweb/studies/{study}/series/{series}/instances/{sop}"
            "/bulkdata/7FE00010"
        )
        assert item["00280010"]["Value"] == [originals[sop].Rows]
        assert reader.retrieve_bulkdata(uri) == [originals[sop].PixelData]


def test_study_and_instance_metadata_list_their_instances(reader, ingest_file):
    for path in [*CT_SERIES, SEG_1BIT]:
        ingest_file(path)
    study, series, sop = uids(SEG_1BIT)

    assert len(reader.retrieve_study_metadata(study)) == len(CT_SERIES) + 1
    item = reader.retrieve_instance_metadata(study, series, sop)
    assert item["00080060"]["Value"] == ["SEG"]


def test_a_series_is_retrieved_as_its_stored_instances(reader, ingest_file):
    for path in CT_SERIES:
        ingest_file(path)
    study, series, _ = uids(CT_SERIES[0])

    datasets = reader.retrieve_series(study, series)

    assert sorted(ds.SOPInstanceUID for ds in datasets) == sorted(
        pydicom.dcmread(p).SOPInstanceUID for p in CT_SERIES
    )
    assert [ds.InstanceNumber for ds in datasets] == sorted(ds.InstanceNumber for ds in datasets)


def test_a_study_is_retrieved_whole(reader, ingest_file):
    for path in [*CT_SERIES, SEG_1BIT]:
        ingest_file(path)

    datasets = reader.retrieve_study(uids(SEG_1BIT)[0])

    assert sorted(ds.Modality for ds in datasets) == ["CT", "CT", "CT", "SEG"]


def test_unknown_uids_and_frames_are_404_and_a_bad_frame_list_400(reader, ingest_file):
    ingest_file(CT_SMALL)
    study, series, sop = uids(CT_SMALL)
    base = reader.root
    get = reader._session.get

    assert get(f"{base}/studies/1.2.3").status_code == 404
    assert get(f"{base}/studies/1.2.3/metadata").status_code == 404
    assert get(f"{base}/studies/{study}/series/1.2.3").status_code == 404
    assert get(f"{base}/studies/{study}/series/{series}/instances/1.2.3").status_code == 404
    assert (
        get(f"{base}/studies/{study}/series/{series}/instances/1.2.3/frames/1").status_code == 404
    )
    frame_2 = get(f"{base}/studies/{study}/series/{series}/instances/{sop}/frames/2")
    assert frame_2.status_code == 404
    assert "has 1 frame(s)" in frame_2.json()["detail"]
    bad = get(f"{base}/studies/{study}/series/{series}/instances/{sop}/frames/one")
    assert bad.status_code == 400
    missing = get(f"{base}/studies/{study}/series/{series}/instances/{sop}/bulkdata/00420011")
    assert missing.status_code == 404


def test_a_retrieve_asking_for_another_transfer_syntax_is_406(reader, ingest_file):
    ingest_file(CT_SMALL)
    study, *_ = uids(CT_SMALL)

    response = reader._session.get(
        f"{reader.root}/studies/{study}",
        headers={
            "Accept": 'multipart/related; type="application/dicom"; '
            "transfer-syntax=1.2.840.10008.1.2.4.50"
        },
    )

    assert response.status_code == 406
    assert "1.2.840.10008.1.2.1" in response.json()["detail"]
