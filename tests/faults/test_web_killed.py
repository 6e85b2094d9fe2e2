"""The web server's workers SIGKILLed in the middle of a STOW-RS request."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def test_killing_the_web_workers_mid_request_leaves_no_orphan_and_loses_nothing(fault_run):
    figures = fault_run("web_killed")

    assert not figures.problems, "\n".join(figures.problems)
    assert figures.lost == 0 and figures.answering_seconds is not None
