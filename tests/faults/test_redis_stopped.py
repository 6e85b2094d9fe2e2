"""Redis stopped while STOW-RS and C-STORE store studies, then started again (issue 10)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def test_stopping_redis_during_ingest_loses_no_acknowledged_instance(fault_run):
    figures = fault_run("redis_stopped")

    assert not figures.problems, "\n".join(figures.problems)
    assert figures.lost == 0 and figures.acknowledged == figures.sent
