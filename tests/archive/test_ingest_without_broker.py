"""Ingest never depends on the broker being up (issue 10, item 1): with Redis down, an instance
is stored and acknowledged with its file, and the stability check is left to the sweep.

Before, the on-commit hook that queues the check raised kombu's OperationalError after the index
row had committed, and ingest then deleted the file: QIDO listed an instance WADO could not send.
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from archive.models import Instance, Study
from tests.conftest import SHARED_DICOM
from tests.processes import free_port

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


@pytest.fixture
def broker_down():
    """The Celery app pointed at a port where no Redis listens, as when Redis is stopped."""
    from kombu import pools

    from config.celery import app

    def use(url: str) -> None:
        pools.reset()  # kombu's pools, kept per connection: made anew for the new URL
        app.conf.broker_url = app.conf.broker_write_url = url
        app._pool = None
        app.amqp._producer_pool = None

    url = app.conf.broker_url
    use(f"redis://127.0.0.1:{free_port()}/0")
    yield
    use(url)


def test_an_instance_stored_while_the_broker_is_down_keeps_its_row_and_its_file(
    transactional_db, broker_down, ingest_file
):
    result = ingest_file(CT)

    instance = Instance.objects.get(sop_instance_uid=result.sop_instance_uid)
    assert default_storage.exists(instance.file.name)
    with default_storage.open(instance.file.name, "rb") as stored:
        assert stored.read() == CT.read_bytes()
    # The check was not queued; the study waits for the sweep, marked as still receiving.
    assert Study.objects.get(pk=instance.series.study_id).status == Study.Status.RECEIVING


def test_a_stow_batch_stored_while_the_broker_is_down_is_acknowledged_whole(
    transactional_db, broker_down
):
    from archive.services.ingest import IncomingFile, IngestResult, instances_ingest

    slices = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
    handles = [open(path, "rb") for path in slices]  # noqa: SIM115 - closed below
    try:
        outcomes = instances_ingest(files=[IncomingFile(fp) for fp in handles], source="test")
    finally:
        for handle in handles:
            handle.close()

    assert all(isinstance(outcome, IngestResult) for outcome in outcomes), outcomes
    for outcome, path in zip(outcomes, slices, strict=True):
        instance = Instance.objects.get(sop_instance_uid=outcome.sop_instance_uid)
        with default_storage.open(instance.file.name, "rb") as stored:
            assert stored.read() == path.read_bytes()
