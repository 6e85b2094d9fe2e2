"""Fault-run fixtures: a migrated PostgreSQL cluster to copy and a small model, once per session;
each test runs its scenario on a Harness of its own (Redis, PostgreSQL, processes, files)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.checks import Figures
from tests.faults.harness import FAULTS_DIR, Harness, template_cluster, train_small_model
from tests.faults.scenarios import SCENARIO_ENV, SCENARIOS, Sizes

CI_SIZES = Sizes()
KEEP_DAYS = 2


@pytest.fixture(scope="session")
def faults_dir() -> Iterator[Path]:
    """This session's folder under var/faults (sessions may run side by side); older sessions'
    folders are pruned."""
    FAULTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in FAULTS_DIR.glob("session-*"):
        if time.time() - old.stat().st_mtime > KEEP_DAYS * 86400:
            shutil.rmtree(old, ignore_errors=True)
    folder = FAULTS_DIR / f"session-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    yield folder
    shutil.rmtree(folder / "template", ignore_errors=True)


@pytest.fixture(scope="session")
def faults_template(faults_dir: Path) -> Path:
    return template_cluster(faults_dir)


@pytest.fixture(scope="session")
def faults_model(faults_dir: Path) -> Path:
    return train_small_model(faults_dir / "small.keras")


@pytest.fixture
def fault_run(
    faults_dir: Path, faults_template: Path, faults_model: Path
) -> Callable[[str], Figures]:
    """Run the named scenario (tests/faults/scenarios.py) at CI size on a fresh harness."""

    def run(name: str) -> Figures:
        harness = Harness(
            name, parent=faults_dir, template=faults_template, env=SCENARIO_ENV.get(name)
        )
        with harness.running(faults_model):
            return SCENARIOS[name](harness, CI_SIZES)

    return run
