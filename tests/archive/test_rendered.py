"""Rendered frames and thumbnails: images a browser can show, windowed like a viewer would."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from archive.models import Instance
from tests.archive.dicomweb_helpers import dicomweb_client, uids
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
CT_SERIES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
DX_MONOCHROME1 = SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm"
CR_LARGE = SHARED_DICOM / "cr_dx" / "wg04_RG1_chest_CR_uncompressed.dcm"
US_30F = SHARED_DICOM / "multiframe" / "us_ybr_jpeg_baseline_30f.dcm"
DEFLATED = SHARED_DICOM / "transfer_syntaxes" / "1.2.840.10008.1.2.1.99_deflated" / "image_dfl.dcm"
J2K = (
    SHARED_DICOM / "transfer_syntaxes" / "1.2.840.10008.1.2.4.90_jpeg2000_lossless" / "MR1_J2KR.dcm"
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(archive_server, make_user):
    from accounts.services import token_issue

    make_user("radiologist", "render-reader")
    return dicomweb_client(archive_server, token_issue(username="render-reader"))


def image(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def get(reader, path: str, **headers: str):
    return reader._session.get(f"{reader.root}{path}", headers=headers)


def instance_path(path) -> str:
    study, series, sop = uids(path)
    return f"/studies/{study}/series/{series}/instances/{sop}"


@pytest.mark.parametrize("path", [CT_SMALL, DEFLATED, DX_MONOCHROME1], ids=lambda p: p.name)
def test_an_instance_renders_as_a_jpeg_of_its_size(reader, ingest_file, path):
    ingest_file(path)

    data = reader.retrieve_instance_rendered(*uids(path), media_types=("image/jpeg",))

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    picture = image(data)
    assert (picture.format, picture.size, picture.mode) == ("JPEG", (ds.Columns, ds.Rows), "L")


def test_a_colour_frame_renders_as_rgb_png_on_request(reader, ingest_file):
    ingest_file(US_30F)

    data = reader.retrieve_instance_frames_rendered(
        *uids(US_30F), frame_numbers=[15], media_types=("image/png",)
    )

    picture = image(data)
    assert (picture.format, picture.size, picture.mode) == ("PNG", (320, 240), "RGB")


def test_viewport_scales_the_image_to_fit_keeping_its_shape(reader, ingest_file):
    ingest_file(CR_LARGE)

    response = get(reader, f"{instance_path(CR_LARGE)}/rendered?viewport=200,200")

    assert response.headers["Content-Type"] == "image/jpeg"
    assert image(response.content).size == (188, 200)  # 1841 x 1955 fitted into 200 x 200


def correlation_with_stored_values(reader, path) -> float:
    rendered = image(get(reader, f"{instance_path(path)}/rendered", Accept="image/png").content)
    stored = pydicom.dcmread(path).pixel_array.astype(float)
    return float(np.corrcoef(stored.ravel(), np.asarray(rendered, dtype=float).ravel())[0, 1])


def test_monochrome1_is_inverted_so_that_it_reads_like_film(reader, ingest_file):
    ingest_file(DX_MONOCHROME1)
    ingest_file(CT_SMALL)

    assert correlation_with_stored_values(reader, DX_MONOCHROME1) < -0.9
    assert correlation_with_stored_values(reader, CT_SMALL) > 0.5


def test_a_window_in_the_request_overrides_the_stored_one(reader, ingest_file):
    ingest_file(CT_SERIES[0])
    base = f"{instance_path(CT_SERIES[0])}/rendered"

    soft_tissue = np.asarray(
        image(get(reader, f"{base}?window=40,400", Accept="image/png").content)
    )
    lung = np.asarray(image(get(reader, f"{base}?window=-600,1500", Accept="image/png").content))

    assert (soft_tissue == 0).mean() > (lung == 0).mean()  # more of the lung is black
    assert get(reader, f"{base}?window=wide").status_code == 400


def test_series_and_study_thumbnails_show_the_middle_image_small(reader, ingest_file):
    for path in CT_SERIES:
        ingest_file(path)
    study, series, _ = uids(CT_SERIES[0])
    middle = sorted(CT_SERIES, key=lambda p: int(pydicom.dcmread(p).InstanceNumber))[1]

    series_thumbnail = get(reader, f"/studies/{study}/series/{series}/thumbnail")
    study_thumbnail = get(reader, f"/studies/{study}/thumbnail")

    middle_small = get(reader, f"{instance_path(middle)}/rendered?viewport=128,128&quality=75")
    assert series_thumbnail.content == middle_small.content
    assert study_thumbnail.content == middle_small.content
    assert image(series_thumbnail.content).size == (128, 128)


def test_pixels_that_cannot_be_decoded_give_422_with_the_reason(reader, ingest_file):
    ingest_file(J2K)
    instance = Instance.objects.get()
    (offset, length), *_ = instance.frame_index[0]
    with default_storage.open(instance.file.name, "r+b") as fp:  # storage corruption
        fp.seek(offset)
        fp.write(b"\x00" * min(length, 64))

    response = get(reader, f"{instance_path(J2K)}/rendered")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("The pixel data cannot be decoded")
    assert get(reader, f"{instance_path(J2K)}/frames/1").status_code == 200  # still as stored


def test_an_image_type_the_archive_cannot_make_is_406_and_a_missing_frame_404(reader, ingest_file):
    ingest_file(CT_SMALL)

    assert get(reader, f"{instance_path(CT_SMALL)}/rendered", Accept="image/gif").status_code == 406
    assert get(reader, f"{instance_path(CT_SMALL)}/frames/2/rendered").status_code == 404
    assert get(reader, "/studies/1.2.3/thumbnail").status_code == 404
