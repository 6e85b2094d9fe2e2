"""The worklist's live stream takes API tokens like every other API (issue 13, access 5), through
the product's ASGI server."""

from __future__ import annotations

import pytest
import requests

from accounts.services import token_issue
from tests.triage.studies import waiting_study
from tests.triage.test_worklist_events import listening, next_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_a_token_follows_the_worklist_stream(app_server, make_user, keyword):
    make_user("radiologist")
    token = token_issue(username="radiologist-user")

    with listening(
        requests.Session(), f"{app_server}/api/worklist/events", Authorization=f"{keyword} {token}"
    ) as events:
        next_event(events, "ready")
        study = waiting_study(0)
        change, _ = next_event(events, "worklist")

    assert change["study_instance_uid"] == study.study_instance_uid


def test_the_stream_refuses_a_token_of_a_role_without_the_worklist_and_a_bad_or_revoked_one(
    app_server, make_user
):
    make_user("annotator")
    make_user("radiologist")
    annotator = token_issue(username="annotator-user")
    revoked = token_issue(username="radiologist-user")
    token_issue(username="radiologist-user", rotate=True)
    url = f"{app_server}/api/worklist/events"

    def status(authorization: str) -> int:
        return requests.get(url, headers={"Authorization": authorization}, timeout=10).status_code

    assert status(f"Bearer {annotator}") == 403
    assert status("Bearer not-a-token") == 401
    assert status(f"Bearer {revoked}") == 401
    assert status("Bearer") == 401
