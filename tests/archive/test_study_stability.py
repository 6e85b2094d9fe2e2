"""A study becomes stable N seconds after its last instance, and is announced once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from archive.models import Study
from archive.services.stability import (
    studies_sweep_unstable,
    study_check_stability,
)
from archive.signals import study_stable
from tests.conftest import SHARED_DICOM
from tests.processes import wait_until

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
MR_SERIES = sorted((SHARED_DICOM / "mr" / "qin_prostate_adc_20slices").glob("*.dcm"))


@pytest.fixture
def announcements():
    received: list[int] = []

    def receiver(sender, study_id, **kwargs):
        received.append(study_id)

    study_stable.connect(receiver, dispatch_uid="test-announcements")
    yield received
    study_stable.disconnect(dispatch_uid="test-announcements")


def stable_study(pk: int) -> Study:
    """The study once the worker (another process) has marked it stable and finished what that
    starts (its worklist place), so the test's end does not race the worker's transaction."""
    return wait_until(
        lambda: Study.objects.filter(pk=pk, status="stable", worklist_entry__isnull=False).first(),
        what="the study becoming stable and placed on the worklist",
        timeout=30,
        interval=0.05,
    )


def quiet_study(ingest_file, seconds: float) -> Study:
    ingest_file(CT_SMALL)
    study = Study.objects.get()
    Study.objects.filter(pk=study.pk).update(
        last_instance_at=timezone.now() - dt.timedelta(seconds=seconds)
    )
    return study


@pytest.mark.django_db(transaction=True)
def test_the_worker_marks_a_study_stable_after_the_quiet_window(
    celery_worker, ingest_file, settings
):
    for path in MR_SERIES[:5]:
        ingest_file(path)
    study = Study.objects.get()
    assert study.status == Study.Status.RECEIVING

    stable = stable_study(study.pk)

    window = dt.timedelta(seconds=settings.ARCHIVE_STABILITY_SECONDS)
    assert stable.stable_at - stable.last_instance_at >= window
    assert stable.num_instances == 5
    assert not stable.stability_check_pending


@pytest.mark.django_db(transaction=True)
def test_a_late_instance_reopens_a_stable_study(celery_worker, ingest_file):
    ingest_file(MR_SERIES[0])
    study = Study.objects.get()
    stable_study(study.pk)

    ingest_file(MR_SERIES[1])
    assert Study.objects.get(pk=study.pk).status == Study.Status.RECEIVING

    again = stable_study(study.pk)
    assert again.num_instances == 2


@pytest.mark.django_db
def test_a_burst_of_instances_queues_one_check(ingest_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        for path in MR_SERIES[:3]:
            ingest_file(path)

    assert len(queued) == 1
    assert Study.objects.get().stability_check_pending


@pytest.mark.django_db
def test_a_study_still_receiving_is_not_announced(ingest_file, announcements):
    ingest_file(CT_SMALL)
    study = Study.objects.get()

    assert study_check_stability(study_id=study.pk) is False
    assert Study.objects.get(pk=study.pk).status == Study.Status.RECEIVING
    assert announcements == []


@pytest.mark.django_db(transaction=True)
def test_checking_twice_announces_once(ingest_file, announcements):
    study = quiet_study(ingest_file, seconds=60)

    assert study_check_stability(study_id=study.pk) is True
    assert study_check_stability(study_id=study.pk) is False
    assert announcements == [study.pk]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_recovers_a_study_whose_check_was_lost(ingest_file, announcements):
    study = quiet_study(ingest_file, seconds=600)  # its queued check never ran: broker was down

    assert studies_sweep_unstable() == 1
    assert Study.objects.get(pk=study.pk).status == Study.Status.STABLE
    assert announcements == [study.pk]
