"""Rendering is bounded (issue 10, item 11): no rendered side over render.MAX_SIDE whatever the
viewport, frames too large to decode are a 422 with the reason, and a large image shown small
still looks like itself. Memory and time figures: bench/render_bounds.py."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from archive.dicom import render
from tests.archive.dicomweb_helpers import uids
from tests.archive.test_many_frames import image_file
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"  # 128x128
CT_512 = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))[0]

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client_for):
    return client_for("radiologist")


def instance_url(path) -> str:
    study, series, sop = uids(path)
    return f"/dicomweb/studies/{study}/series/{series}/instances/{sop}"


def picture(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("path", "viewport"),
    [(CT_SMALL, "20000,20000"), (CT_512, "24000,24000"), (CT_512, "999999999,999999999")],
)
def test_a_viewport_past_the_maximum_gets_the_largest_image_that_fits_it(
    reader, ingest_file, path, viewport
):
    ingest_file(path)

    image = picture(reader.get(f"{instance_url(path)}/rendered?viewport={viewport}"))

    assert image.size == (render.MAX_SIDE, render.MAX_SIDE)


def test_a_viewport_within_the_maximum_is_met_exactly(reader, ingest_file):
    ingest_file(CT_512)

    image = picture(reader.get(f"{instance_url(CT_512)}/rendered?viewport=1000,600"))

    assert image.size == (600, 600)


def test_an_image_wider_than_the_maximum_renders_scaled_to_it_keeping_its_shape(
    tmp_path, reader, ingest_file
):
    path = image_file(tmp_path / "wide.dcm", frames=1, rows=300, columns=4500)
    ingest_file(path)

    image = picture(reader.get(f"{instance_url(path)}/rendered"))

    assert image.size == (render.MAX_SIDE, round(300 * render.MAX_SIDE / 4500))


def test_a_large_image_shown_small_still_looks_like_itself(tmp_path, reader, ingest_file):
    # Left half black, right half white, a 600-pixel grey band across the middle.
    values = np.zeros((3000, 2000), dtype=np.uint8)
    values[:, 1000:] = 255
    values[1200:1800, :] = 128
    path = image_file(
        tmp_path / "big.dcm", frames=1, rows=3000, columns=2000, pixel_data=values.tobytes()
    )
    ingest_file(path)

    thumbnail = picture(reader.get(f"{instance_url(path)}/thumbnail"))

    assert thumbnail.size == (85, 128)
    shown = np.asarray(thumbnail.convert("L"), dtype=int)
    assert shown[10, 10] < 20 and shown[10, 75] > 235
    assert abs(shown[64, 10] - 128) < 20 and abs(shown[64, 75] - 128) < 20


def test_a_frame_too_large_to_decode_is_a_422_with_the_reason(reader, ingest_file, monkeypatch):
    ingest_file(CT_SMALL)
    monkeypatch.setattr(render, "MAX_SOURCE_PIXELS", 128 * 128 - 1)

    response = reader.get(f"{instance_url(CT_SMALL)}/rendered")

    assert response.status_code == 422
    assert "too large to render" in response.json()["detail"]
    assert reader.get(f"{instance_url(CT_SMALL)}/frames/1").status_code == 200


def test_the_rendered_size_without_a_viewport_is_the_image_size(reader, ingest_file):
    ingest_file(CT_512)

    image = picture(reader.get(f"{instance_url(CT_512)}/rendered"))

    ds = pydicom.dcmread(CT_512, stop_before_pixels=True)
    assert image.size == (ds.Columns, ds.Rows)
