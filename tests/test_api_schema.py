"""The OpenAPI schema: generated without a warning, true to what the APIs answer, and readable
in a browser at /api/schema/ (Swagger UI from local static files, nothing from a CDN)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import BaseSerializer

from accounts.apis import MeApi, PreferencesApi
from tests.triage.conftest import active_model, small_model_file  # noqa: F401
from tests.triage.studies import score_now, waiting_study
from triage import serializers as documented


def test_the_schema_generates_without_a_warning_or_an_error(tmp_path):
    # --fail-on-warn raises on any warning or error ("unable to guess serializer" included).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    assert "/api/worklist/{study_uid}/read" in (tmp_path / "s.yml").read_text()


def as_documented(serializer: Any, body: Any) -> Any:
    """`body` rendered through the serializer that documents it: equal to `body` only when
    every key is documented, every documented key is there, and each value has its type."""
    if isinstance(serializer, type):
        serializer = serializer()
    assert isinstance(serializer, BaseSerializer)
    return json.loads(JSONRenderer().render(serializer.to_representation(body)))


@pytest.mark.django_db
@pytest.mark.usefixtures("active_model")
def test_every_json_response_is_what_its_serializer_documents(client_for):
    client = client_for("radiologist")
    study = score_now(waiting_study(0, minutes_ago=3))
    uid = study.study_instance_uid
    instance = study.series.get().instances.get()
    measurement = {
        "tool": "Length",
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "data": {"handles": {"points": [[0, 0, 0], [10, 0, 0]]}},
        "summary": "10.0 mm",
    }

    answers = [
        (documented.ClaimResultSerializer, client.post(f"/api/worklist/{uid}/claim")),
        (documented.WorklistPageSerializer, client.get("/api/worklist")),
        (documented.WorklistEntryDetailSerializer, client.get(f"/api/worklist/{uid}")),
        (
            documented.MeasurementSerializer,
            client.put(f"/api/studies/{uid}/measurements/a-1", measurement, format="json"),
        ),
        (documented.MeasurementListSerializer, client.get(f"/api/studies/{uid}/measurements")),
        (
            documented.ReadResultSerializer,
            client.post(f"/api/worklist/{uid}/read", {"verdict": "ai_right"}, format="json"),
        ),
        (documented.WorklistEntryDetailSerializer, client.get(f"/api/worklist/{uid}")),
        (documented.TurnaroundSerializer, client.get("/api/turnaround")),
        (MeApi.OutputSerializer, client.get("/api/me")),
        (PreferencesApi.OutputSerializer, client.get("/api/me/preferences")),
    ]
    waiting = waiting_study(1)
    answers.append((documented.WorklistRowSerializer, client.post("/api/worklist/next")))

    for serializer, response in answers:
        assert response.status_code == 200, (response.request["PATH_INFO"], response.content)
        body = response.json()
        assert as_documented(serializer, body) == body, response.request["PATH_INFO"]
    detail = answers[6][1].json()
    assert detail["findings"] and detail["read"] and detail["claim"] is None
    assert answers[-1][1].json()["study_instance_uid"] == waiting.study_instance_uid


def test_a_body_with_an_undocumented_key_is_caught():
    body = {"username": "someone", "roles": [], "extra": 1}

    assert as_documented(MeApi.OutputSerializer, body) != body


@pytest.mark.django_db
def test_a_browser_reads_the_schema_in_swagger_ui_served_from_local_files(client_for):
    client = client_for("admin")

    page = client.get("/api/schema/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "SwaggerUIBundle" in html or "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in s for s in sources), sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    assert 'url: "/api/schema/?format\\u003Djson"' in html  # "=" escaped in its script


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        ("", "*/*", "application/vnd.oai.openapi"),
        ("?format=json", "application/json,*/*", "application/json"),
        ("", "application/json", "application/json"),
    ],
)
def test_api_clients_still_get_the_schema_itself(client_for, query, accept, media_type):
    response = client_for("admin").get(f"/api/schema/{query}", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    assert b"openapi" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["radiologist", "annotator", "reviewer", "modality"])
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_only_admins_read_the_schema(client_for, role, accept):
    """It maps every API a sending device or an annotator could probe: the admin role's alone
    (auth.change_user, held by no other role)."""
    refused = client_for(role).get("/api/schema/", HTTP_ACCEPT=accept)
    anonymous = client_for(None).get("/api/schema/", HTTP_ACCEPT=accept)

    assert refused.status_code == 403
    assert b"openapi" not in refused.content and b"swagger" not in refused.content.lower()
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_an_admin_signed_in_in_the_browser_reads_the_schema_page_and_its_document(make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user("admin"))

    page = client.get("/api/schema/", HTTP_ACCEPT="text/html")
    document = client.get("/api/schema/?format=json")

    assert page.status_code == 200 and b"swagger-ui" in page.content
    assert document.status_code == 200 and "openapi" in document.json()
