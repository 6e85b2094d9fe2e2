"""Study- and series-level rendered resources: every frame of a series or study as images a
browser can show, in order, with the same parameters as an instance's rendered resource."""

from __future__ import annotations

import io

import pydicom
import pytest
from PIL import Image

from tests.archive.dicomweb_helpers import dicomweb_client, multipart_parts, uids
from tests.conftest import SHARED_DICOM

CT_SERIES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
SEG = SHARED_DICOM / "multiframe" / "seg_liver_3f.dcm"  # 3 frames, same study as CT_SERIES
CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
IN_ORDER = sorted(CT_SERIES, key=lambda p: int(pydicom.dcmread(p).InstanceNumber))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(archive_server, make_user, ingest_file):
    from accounts.services import token_issue

    for path in [*CT_SERIES, SEG]:
        ingest_file(path)
    make_user("radiologist", "rendered-reader")
    return dicomweb_client(archive_server, token_issue(username="rendered-reader"))


def get(reader, path: str, accept: str = 'multipart/related; type="image/jpeg"'):
    return reader._session.get(f"{reader.root}{path}", headers={"Accept": accept})


def instance_path(path) -> str:
    study, series, sop = uids(path)
    return f"/studies/{study}/series/{series}/instances/{sop}"


def test_a_series_renders_as_one_image_per_instance_in_instance_order(reader):
    study, series, _ = uids(CT_SERIES[0])
    query = "?viewport=64,64&window=40,400"

    response = get(reader, f"/studies/{study}/series/{series}/rendered{query}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith('multipart/related; type="image/jpeg"')
    parts = multipart_parts(response)
    assert [headers["Content-Type"] for headers, _ in parts] == ["image/jpeg"] * len(IN_ORDER)
    expected = [
        get(reader, f"{instance_path(p)}/rendered{query}", "image/jpeg").content for p in IN_ORDER
    ]
    assert [body for _, body in parts] == expected
    assert Image.open(io.BytesIO(parts[0][1])).size == (64, 64)


def test_a_study_renders_every_frame_of_every_series_as_png_on_request(reader):
    study, _, _ = uids(SEG)

    response = get(reader, f"/studies/{study}/rendered", 'multipart/related; type="image/png"')

    parts = multipart_parts(response)
    assert len(parts) == len(CT_SERIES) + 3
    assert {headers["Content-Type"] for headers, _ in parts} == {"image/png"}
    seg_frame_3 = get(reader, f"{instance_path(SEG)}/frames/3/rendered", "image/png").content
    assert seg_frame_3 in [body for _, body in parts]


def test_a_series_of_one_frame_comes_as_the_image_itself_to_dicomweb_client(reader, ingest_file):
    ingest_file(CT_SMALL)
    study, series, _ = uids(CT_SMALL)

    image = reader.retrieve_series_rendered(study, series, media_types=("image/jpeg",))

    assert image == get(reader, f"{instance_path(CT_SMALL)}/rendered", "image/jpeg").content
    assert Image.open(io.BytesIO(image)).format == "JPEG"


def test_a_series_of_several_frames_asked_as_one_image_is_406_saying_to_ask_multipart(reader):
    study, series, _ = uids(CT_SERIES[0])

    response = get(reader, f"/studies/{study}/series/{series}/rendered", "image/jpeg")

    assert response.status_code == 406
    assert 'multipart/related; type="image/jpeg"' in response.json()["detail"]


def test_a_study_of_more_frames_than_the_maximum_is_refused_with_the_count(
    reader, client_for, settings
):
    settings.DICOMWEB_RENDERED_MAX_FRAMES = 4
    study, series, _ = uids(SEG)
    client = client_for("radiologist")

    study_answer = client.get(f"/dicomweb/studies/{study}/rendered")
    series_answer = client.get(f"/dicomweb/studies/{study}/series/{series}/rendered")

    assert study_answer.status_code == 400
    assert "has 6 frames; at most 4" in study_answer.json()["detail"]
    assert series_answer.status_code == 200


def test_unknown_series_and_bad_parameters_are_404_and_400(reader):
    study, series, _ = uids(CT_SERIES[0])

    assert get(reader, f"/studies/{study}/series/1.2.3/rendered").status_code == 404
    assert get(reader, f"/studies/{study}/series/{series}/rendered?quality=0").status_code == 400
    assert get(reader, f"/studies/{study}/rendered", "image/jp2").status_code == 406
