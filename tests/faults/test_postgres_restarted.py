"""PostgreSQL restarted (`pg_ctl restart -m fast`) while STOW-RS and C-STORE store studies."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def test_restarting_postgresql_during_ingest_loses_nothing_and_the_next_requests_succeed(
    fault_run,
):
    figures = fault_run("postgres_restarted")

    assert not figures.problems, "\n".join(figures.problems)
    assert figures.lost == 0
