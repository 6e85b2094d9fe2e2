"""The worklist's live stream (Server-Sent Events) through the product's ASGI server: a new study,
a claim and a read each reach a listening browser, and a reconnect gets what it missed."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.triage.studies import waiting_study
from triage.models import WorklistEvent

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_session(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=10)
    session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": "pw-for-tests",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base_url}/accounts/login/"},
        timeout=10,
    )
    assert "sessionid" in session.cookies, "login failed"
    return session


@contextmanager
def listening(session: requests.Session, url: str, **headers: str) -> Iterator[queue.Queue]:
    """Read the stream in a thread; yields a queue of (event name, data, arrival time)."""
    events: queue.Queue = queue.Queue()
    response = session.get(url, stream=True, timeout=30, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")

    def read() -> None:
        name = None
        try:
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.put((name, json.loads(line.removeprefix("data: ")), time.monotonic()))
        except (requests.RequestException, AttributeError):
            pass  # closed by the test

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield events
    finally:
        response.close()


def next_event(events: queue.Queue, name: str, timeout: float = 5.0) -> tuple[dict, float]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event_name, data, at = events.get(timeout=left)
        if event_name == name:
            return data, at
    raise AssertionError(f"no {name!r} event within {timeout} s")


def test_changes_reach_a_listening_browser_within_two_seconds(app_server, make_user):
    make_user("radiologist")
    session = signed_in_session(app_server, "radiologist-user")
    with listening(session, f"{app_server}/api/worklist/events") as events:
        ready, _ = next_event(events, "ready")

        placed_at = time.monotonic()
        study = waiting_study(0, minutes_ago=1)
        placed, arrived = next_event(events, "worklist")
        uid = study.study_instance_uid
        assert (placed["kind"], placed["study_instance_uid"]) == ("placed", uid)
        assert placed["id"] > ready["last_id"]
        assert arrived - placed_at < 2.0

        csrf = {"X-CSRFToken": session.cookies["csrftoken"]}
        session.post(f"{app_server}/api/worklist/{uid}/claim", headers=csrf, timeout=10)
        claimed, _ = next_event(events, "worklist")
        assert (claimed["kind"], claimed["by"]) == ("claimed", "radiologist-user")

        session.post(
            f"{app_server}/api/worklist/{uid}/read",
            json={"verdict": None},
            headers=csrf,
            timeout=10,
        )
        read, _ = next_event(events, "worklist")
        assert read["kind"] == "read"


def test_a_reconnecting_browser_gets_the_changes_it_missed(app_server, make_user):
    make_user("reviewer")
    first = waiting_study(0)
    missed = waiting_study(1)
    first_id = WorklistEvent.objects.get(study_instance_uid=first.study_instance_uid).id
    session = signed_in_session(app_server, "reviewer-user")

    url = f"{app_server}/api/worklist/events"
    with listening(session, url, **{"Last-Event-ID": str(first_id)}) as events:
        ready, _ = next_event(events, "ready")
        replayed, _ = next_event(events, "worklist")

    assert ready["last_id"] == first_id
    assert replayed["study_instance_uid"] == missed.study_instance_uid


def test_the_stream_is_for_worklist_roles_only(app_server, make_user):
    make_user("annotator")
    annotator = signed_in_session(app_server, "annotator-user")

    assert annotator.get(f"{app_server}/api/worklist/events", timeout=10).status_code == 403
    assert requests.get(f"{app_server}/api/worklist/events", timeout=10).status_code == 401
