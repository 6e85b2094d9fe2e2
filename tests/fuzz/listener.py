"""The DICOM listener as a real process on the test database, for the tests that fuzz C-STORE."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.processes import free_port, port_answers, product_env, running, wait_until


@pytest.fixture(scope="module", name="listener_port")
def listener_process(django_db_setup: None, django_db_blocker: object) -> Iterator[int]:
    """`manage.py dicom_listener` on a free port; fails the module if it ever crashed."""
    port = free_port()
    args = [sys.executable, "manage.py", "dicom_listener", "--port", str(port), "--grace", "5"]
    with running(args, log_name="fuzz-dicom-listener.log", env=product_env()) as proc:
        wait_until(lambda: port_answers(port), what="the DICOM listener's port", process=proc)
        yield port
        assert proc.poll() is None, "the listener exited during the module's tests"
