"""A fixed-seed mutation run of the ingest path: every mutant of the shared files sent by STOW-RS
or C-STORE is stored or refused with a reason, never a 5xx; every acknowledged one comes back
byte for byte; no file is left without its index row. bench/fuzz_ingest.py runs the same longer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from archive.models import Instance
from tests.archive.dicomweb_helpers import reader_session
from tests.conftest import SHARED_DICOM
from tests.fuzz.doors import Tally, cstore_batch, orphans, stow_batch, temp_files
from tests.fuzz.listener import listener_process  # noqa: F401 - the listener_port fixture
from tests.fuzz.mutations import FUZZ_SEED, Recipe, recipe, unique_uid
from tests.fuzz.seeds import load_seeds

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Small seeds keep the run short on two cores; the bench takes them up to 1 MB.
SEEDS = load_seeds(SHARED_DICOM, max_bytes=300_000)
BATCH = 10
STOW_BATCHES = 30
CSTORE_BATCHES = 15


def fuzz_settings(batches: int) -> Callable[..., object]:
    # No shrinking: each step is a request to a live server. The failure message names every
    # mutant's recipe, which rebuilds it.
    return hypothesis_settings(
        max_examples=batches,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def session(archive_server: str, make_user: Callable[..., object]) -> object:
    from accounts.services import token_issue

    make_user("admin", "fuzz-sender")
    return reader_session(token_issue(username="fuzz-sender"))


def run_batches(batches: int, run: int, send: Callable[[list[bytes], Tally], None]) -> Tally:
    """Draw `batches` batches of mutants with the fixed seed and send each; fail at the first
    batch with a 5xx or an acknowledged instance that does not come back as sent."""
    tally, counter = Tally(), itertools.count()

    @seed(FUZZ_SEED)
    @fuzz_settings(batches)
    @given(st.lists(recipe(SEEDS), min_size=BATCH, max_size=BATCH))
    def batch(recipes: list[Recipe]) -> None:
        failures = len(tally.server_errors) + len(tally.lost)
        send([r.build(unique_uid(next(counter), run)) for r in recipes], tally)
        problems = (tally.server_errors + tally.lost)[failures:]
        assert not problems, problems

    batch()
    print(tally.summary())
    return tally


def no_orphans(temp_before: set[str]) -> list[str]:
    indexed = set(Instance.objects.values_list("file", flat=True))
    found = orphans(Path(settings.VAR_DIR) / "storage", indexed)
    left = temp_files(Path(settings.FILE_UPLOAD_TEMP_DIR)) - temp_before
    return found + [f"temporary file left: {name}" for name in sorted(left)]


def test_stow_rs_answers_every_mutant_and_keeps_what_it_acknowledges(
    session: object, archive_server: str
) -> None:
    before = temp_files(Path(settings.FILE_UPLOAD_TEMP_DIR))
    root = f"{archive_server}/dicomweb"

    tally = run_batches(STOW_BATCHES, 1, lambda mutants, t: stow_batch(session, root, mutants, t))

    assert tally.sent["stow"] == STOW_BATCHES * BATCH
    assert tally.acknowledged["stow"] > 20, tally  # the unharmed mutants were stored
    assert sum(tally.refused.values()) > STOW_BATCHES * BATCH / 2, tally
    assert Instance.objects.count() == tally.acknowledged["stow"]
    assert no_orphans(before) == []


@pytest.mark.dimse
def test_c_store_answers_every_mutant_and_keeps_what_it_acknowledges(
    session: object, archive_server: str, listener_port: int
) -> None:
    before = temp_files(Path(settings.FILE_UPLOAD_TEMP_DIR))
    root = f"{archive_server}/dicomweb"

    def send(mutants: list[bytes], tally: Tally) -> None:
        cstore_batch(session, root, listener_port, settings.DICOM_AE_TITLE, mutants, tally)

    tally = run_batches(CSTORE_BATCHES, 2, send)

    assert tally.sent["c-store"] > CSTORE_BATCHES * BATCH / 3, tally
    assert tally.acknowledged["c-store"] > 5, tally
    assert sum(tally.refused.values()) > 10, tally
    assert Instance.objects.count() == tally.acknowledged["c-store"]
    assert no_orphans(before) == []
