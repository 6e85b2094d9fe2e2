"""The de-identified DICOM of a case: who gets it (the slot holder, reviewers, admins; anyone
else a 404), and what they get (DICOM JSON without identifiers, the stored frame bytes, a PNG)."""

from __future__ import annotations

import json

import pytest

from tests.annotations.deid_fixtures import (
    Identifiers,
    body_of,
    case_make,
    client_of,
    multipart_parts,
    phi_dataset,
    store,
)

CORNERSTONE_ACCEPT = "multipart/related; type=application/octet-stream; transfer-syntax=*"


@pytest.fixture
def annotator(make_user):
    return make_user("annotator", "ann-one")


@pytest.fixture
def phi():
    return Identifiers(tag="API")


@pytest.fixture
def case(db, annotator, phi):
    instance = store(phi_dataset(phi))
    return case_make(instance, pseudonym="CASE-HELD", holders=[(annotator, "locked")])


def _url(case, tail: str) -> str:
    return f"/api/annotate/cases/{case.pseudonym}/dicom/{tail}"


def test_the_slot_holder_gets_de_identified_dicom_json(annotator, case, phi):
    response = client_of(annotator).get(_url(case, "metadata"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    (metadata,) = json.loads(response.content)
    assert metadata["00100010"]["Value"] == [{"Alphabetic": "CASE-HELD"}]
    assert metadata["00100020"]["Value"] == ["CASE-HELD"]
    assert metadata["00120062"]["Value"] == ["YES"]
    assert metadata["00120064"]["Value"][0]["00080100"]["Value"] == ["113100"]
    assert metadata["0020000D"]["Value"][0].startswith("2.25.")
    assert metadata["00280010"]["Value"] == [169]  # the image itself is described as stored
    assert "7FE00010" not in metadata
    text = response.content.decode()
    assert [s for s in phi.secrets() if s in text] == []


def test_uids_are_the_same_in_every_case_of_a_study(annotator, case, phi):
    second = case_make(
        store(phi_dataset(phi)), pseudonym="CASE-SAME-STUDY", holders=[(annotator, "submitted")]
    )
    client = client_of(annotator)

    first_uids = json.loads(client.get(_url(case, "metadata")).content)[0]
    second_uids = json.loads(client.get(_url(second, "metadata")).content)[0]

    assert first_uids["0020000D"] == second_uids["0020000D"]
    assert first_uids["0020000E"] == second_uids["0020000E"]
    assert first_uids["00080018"] != second_uids["00080018"]


@pytest.mark.parametrize("status", ["locked", "submitted"])
def test_a_held_or_submitted_slot_gives_access(make_user, phi, status):
    holder = make_user("annotator", f"ann-{status}")
    case = case_make(store(phi_dataset(phi)), pseudonym=f"C-{status}", holders=[(holder, status)])

    assert client_of(holder).get(_url(case, "metadata")).status_code == 200


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_get_any_case(make_user, case, role):
    response = client_of(make_user(role)).get(_url(case, "metadata"))

    assert response.status_code == 200


@pytest.mark.parametrize("tail", ["metadata", "frames/1", "rendered"])
@pytest.mark.parametrize("role", ["annotator", "radiologist", "modality"])
def test_anyone_else_is_told_the_case_does_not_exist(make_user, case, role, tail):
    stranger = make_user(role, f"stranger-{role}")

    response = client_of(stranger).get(_url(case, tail), HTTP_ACCEPT="*/*")
    missing = client_of(stranger).get(f"/api/annotate/cases/NO-SUCH/dicom/{tail}")

    assert response.status_code == missing.status_code == 404
    assert response.json()["detail"] == missing.json()["detail"].replace("NO-SUCH", "CASE-HELD")


def test_a_free_slot_gives_no_access(make_user, phi):
    someone = make_user("annotator", "ann-free")
    case = case_make(store(phi_dataset(phi)), pseudonym="C-FREE", holders=[])
    case.slots.filter(number=1).update(annotator=someone)  # named but never taken

    assert client_of(someone).get(_url(case, "metadata")).status_code == 404


def test_anonymous_users_are_refused(client, case):
    response = client.get(_url(case, "metadata"))

    assert response.status_code in (401, 403)


def test_frames_are_the_bytes_archive_serves_for_the_stored_instance(
    make_user, annotator, case, phi
):
    radiologist = client_of(make_user("radiologist"))
    instance = case.instance
    archive_url = (
        f"/dicomweb/studies/{phi.study_uid}/series/{phi.series_uid}"
        f"/instances/{instance.sop_instance_uid}/frames/1"
    )

    ours = client_of(annotator).get(_url(case, "frames/1"), HTTP_ACCEPT=CORNERSTONE_ACCEPT)
    archive = radiologist.get(archive_url, HTTP_ACCEPT=CORNERSTONE_ACCEPT)

    assert ours.status_code == archive.status_code == 200
    assert ours["Content-Type"].startswith('multipart/related; type="application/octet-stream"')
    ((headers, data),) = multipart_parts(ours)
    assert data == multipart_parts(archive)[0][1]
    assert len(data) == 169 * 211
    assert (
        headers["Content-Type"] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    )


def test_a_frame_past_the_end_is_a_404_that_names_no_uid(annotator, case, phi):
    response = client_of(annotator).get(_url(case, "frames/2"), HTTP_ACCEPT=CORNERSTONE_ACCEPT)

    assert response.status_code == 404
    assert "CASE-HELD has 1 frame(s)" in response.json()["detail"]
    assert [s for s in phi.secrets() if s in response.content.decode()] == []


def test_a_frame_number_that_is_not_one_is_a_400(annotator, case):
    response = client_of(annotator).get(_url(case, "frames/x1"))

    assert response.status_code == 400


def test_frames_in_a_type_only_a_transcoder_could_give_are_refused(annotator, case):
    response = client_of(annotator).get(
        _url(case, "frames/1"), HTTP_ACCEPT='multipart/related; type="image/jpeg"'
    )

    assert response.status_code == 406


def test_rendered_is_a_png_of_the_image(annotator, case):
    response = client_of(annotator).get(_url(case, "rendered"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body_of(response).startswith(b"\x89PNG\r\n\x1a\n")


def test_rendered_refuses_an_accept_without_png(annotator, case):
    response = client_of(annotator).get(_url(case, "rendered"), HTTP_ACCEPT="image/jpeg")

    assert response.status_code == 406


def test_rendered_is_bounded_by_the_viewport_asked(annotator, case):
    import io

    from PIL import Image

    response = client_of(annotator).get(_url(case, "rendered") + "?viewport=50,50")

    assert Image.open(io.BytesIO(body_of(response))).size == (50, 40)


MULTIFRAME_JPEG = "multiframe/us_ybr_jpeg_baseline_30f.dcm"


def test_compressed_multiframe_frames_go_out_as_stored(annotator, ingest_file, make_user):
    from archive.models import Instance
    from tests.conftest import SHARED_DICOM

    result = ingest_file(SHARED_DICOM / MULTIFRAME_JPEG)
    instance = Instance.objects.select_related("series__study").get(pk=result.instance_id)
    case = case_make(instance, pseudonym="C-JPEG", holders=[(annotator, "locked")])
    archive_url = (
        f"/dicomweb/studies/{result.study_instance_uid}/series/{result.series_instance_uid}"
        f"/instances/{result.sop_instance_uid}/frames/7,30"
    )

    ours = client_of(annotator).get(_url(case, "frames/7,30"), HTTP_ACCEPT=CORNERSTONE_ACCEPT)
    archive = client_of(make_user("radiologist")).get(archive_url, HTTP_ACCEPT=CORNERSTONE_ACCEPT)

    parts = multipart_parts(ours)
    assert [h["Content-Type"] for h, _ in parts] == [
        "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"
    ] * 2
    assert [d for _, d in parts] == [d for _, d in multipart_parts(archive)]
    assert parts[0][1].startswith(b"\xff\xd8")
    assert client_of(annotator).get(_url(case, "frames/31")).status_code == 404


def test_a_second_request_gives_the_same_body_without_reading_the_file_again(
    annotator, case, monkeypatch
):
    client = client_of(annotator)
    first = client.get(_url(case, "metadata"))

    def no_file(*args, **kwargs):
        raise AssertionError("the stored file was read again")

    monkeypatch.setattr("annotations.services.deid.default_storage.open", no_file)
    second = client.get(_url(case, "metadata"))

    assert second.status_code == 200
    assert json.loads(second.content) == json.loads(first.content)


def test_the_cache_holds_the_served_body_under_a_key_that_names_no_identifier(annotator, case, phi):
    from django.core.cache import cache

    from annotations.services.deid import _metadata_cache_key

    served = json.loads(client_of(annotator).get(_url(case, "metadata")).content)

    key = _metadata_cache_key(case)
    assert [cache.get(key)] == served
    assert [s for s in phi.secrets() if s in key] == []
    assert case.instance.sop_instance_uid not in key and case.pseudonym not in key
