"""Bad input on the worklist, measurement and preferences APIs gets a 4xx with the reason, never
a 500 (issue 10, item 7): offsets no database can hold, NUL characters, annotation UIDs longer
than the column, and bodies larger than the server reads (413)."""

from __future__ import annotations

import pytest

from tests.triage.studies import waiting_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    return waiting_study(0)


@pytest.fixture
def reader(client_for):
    return client_for("radiologist")


def measurement_body(study, **change):
    instance = study.series.get().instances.get()
    return {
        "tool": "Length",
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "frame_number": 1,
        "data": {"handles": {"points": [[0, 0, 0], [10, 0, 0]]}},
        **change,
    }


@pytest.mark.parametrize(
    "query",
    [
        f"offset={2**63}",
        f"limit={2**63}",
        f"offset={2**63 - 1}",
        f"offset={10**30}",
        "offset=" + "9" * 5000,
        "limit=-1",
    ],
)
def test_an_offset_or_limit_no_database_can_hold_is_a_400_with_the_reason(reader, study, query):
    response = reader.get(f"/api/worklist?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_a_large_offset_within_bounds_is_an_empty_page(reader, study):
    response = reader.get(f"/api/worklist?offset={2**31 - 1}")

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/worklist/1.2%003",
        "/api/worklist/%00/claim",
        "/api/worklist?q=a%00b",
        "/api/worklist?modality=%00",
        "/api/studies/1.2%00/measurements",
    ],
)
def test_a_nul_in_the_path_or_a_parameter_is_a_400(reader, study, url):
    response = reader.get(url) if "claim" not in url else reader.post(url)

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("annotation_uid", ["a" * 65, "x" * 5000, "a%00b"])
def test_an_annotation_uid_that_cannot_be_stored_is_a_400(reader, study, annotation_uid):
    url = f"/api/studies/{study.study_instance_uid}/measurements/{annotation_uid}"

    saved = reader.put(url, measurement_body(study), format="json")
    deleted = reader.delete(url)

    assert (saved.status_code, deleted.status_code) == (400, 400)
    assert saved.json()["detail"] and deleted.json()["detail"]


def test_a_nul_inside_measurement_data_is_a_400(reader, study):
    url = f"/api/studies/{study.study_instance_uid}/measurements/a-1"
    body = measurement_body(study, data={"label": "a\x00b"}, summary="10 mm")

    response = reader.put(url, body, format="json")

    assert response.status_code == 400


def test_a_3_mb_measurement_is_a_413_with_the_reason(reader, study):
    url = f"/api/studies/{study.study_instance_uid}/measurements/a-1"
    body = measurement_body(study, data={"blob": "x" * 3_000_000})

    response = reader.put(url, body, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "bytes" in response.json()["detail"]


def test_a_6_mb_preferences_body_is_a_413_with_the_reason(reader):
    body = {"shortcuts": {f"a{i}": "x" * 30 for i in range(150_000)}}

    response = reader.put("/api/me/preferences", body, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
