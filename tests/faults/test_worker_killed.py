"""The Celery worker SIGKILLed while it scores a study, then started again."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def test_killing_the_worker_mid_scoring_still_scores_every_study_once(fault_run):
    figures = fault_run("worker_killed")

    assert not figures.problems, "\n".join(figures.problems)
    assert figures.studies and figures.scored_once == figures.studies
