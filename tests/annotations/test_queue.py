"""The active-learning queue: batches chosen by the task's strategy from the active version's
pool scores, k slots per case, one conditional UPDATE per slot, skips with a reason."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from unittest import mock

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from annotations.models import (
    AnnotationBatch,
    AnnotationCase,
    CaseSkip,
    CaseSlot,
    ImageScore,
    Label,
    QueueSettings,
)
from annotations.services.queue import case_next, case_skip
from archive.models import Instance, Patient, Series, Study
from config.errors import DomainError, NotFound
from ml.core.tasks import CHEST_XRAY_PNEUMONIA

TASK = CHEST_XRAY_PNEUMONIA.name
DX = "1.2.840.10008.5.1.4.1.1.1.1"
_uids = itertools.count(1)


def model_version(*, active: bool = True, threshold: float = 0.5):
    """A registry row without weights: the queue reads only its id, threshold and calibration."""
    from ml.models import ModelVersion

    if active:
        ModelVersion.objects.filter(task=TASK, is_active=True).update(is_active=False)
    number = ModelVersion.objects.filter(task=TASK).count() + 1
    return ModelVersion.objects.create(
        task=TASK,
        version=number,
        architecture="test",
        weights=f"models/test-v{number}.keras",
        weights_sha256="0" * 64,
        input_spec={"image_size": 28, "channels": 1},
        threshold=threshold,
        calibration={"slope": 1.0, "intercept": 0.0},
        metrics={},
        data_snapshot={},
        is_active=active,
    )


def pool_image(*, version, probability: float, embedding: np.ndarray | None = None) -> Instance:
    """One DX image in a study of its own, with its pool score under `version`."""
    n = next(_uids)
    patient = Patient.objects.create(patient_id=f"Q{n}")
    study = Study.objects.create(
        study_instance_uid=f"2.25.9{n}.1", patient=patient, last_instance_at=timezone.now()
    )
    series = Series.objects.create(series_instance_uid=f"2.25.9{n}.2", study=study, modality="DX")
    instance = Instance.objects.create(
        sop_instance_uid=f"2.25.9{n}.3",
        series=series,
        sop_class_uid=DX,
        transfer_syntax_uid="1.2.840.10008.1.2.1",
        rows=256,
        columns=240,
        number_of_frames=1,
        file=f"dicom/q{n}.dcm",
        file_size=1,
        sha256="0" * 64,
        metadata_json="{}",
    )
    vector = embedding if embedding is not None else np.random.default_rng(n).normal(size=8)
    p = probability
    ImageScore.objects.create(
        task=TASK,
        instance=instance,
        model_version=version,
        probability=p,
        entropy=float(-(p * np.log(p + 1e-9) + (1 - p) * np.log(1 - p + 1e-9))),
        margin=abs(2 * p - 1),
        mc_mean=p,
        mc_variance=0.01,
        bald=0.01,
        embedding=np.asarray(vector, "<f4").tobytes(),
        embedding_dim=len(vector),
    )
    return instance


def pool(n: int, **kwargs) -> tuple[object, list[Instance]]:
    version = model_version()
    images = [pool_image(version=version, probability=0.1 + 0.8 * i / max(n, 1)) for i in range(n)]
    queue_settings(**kwargs)
    return version, images


def queue_settings(**changes) -> QueueSettings:
    row, _ = QueueSettings.objects.get_or_create(task=TASK)
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def submit(slot: CaseSlot) -> None:
    """What the label-saving service does on submit (another area's): the slot is done."""
    CaseSlot.objects.filter(pk=slot.pk).update(
        status=CaseSlot.Status.SUBMITTED, submitted_at=timezone.now()
    )


@pytest.fixture
def annotators(make_user):
    return [make_user("annotator", f"annotator-{i}") for i in range(3)]


@pytest.fixture(autouse=True, params=["one_statement", "portable"])
def queue_path(request):
    """Every test here runs both ways of giving a slot: PostgreSQL's one statement (SKIP
    LOCKED) and the portable ORM path that SQLite, the embedded default, takes."""
    if request.param == "one_statement":
        yield request.param
        return
    with (
        mock.patch("annotations.services.queue.one_statement", return_value=False),
        mock.patch("annotations.selectors.one_statement", return_value=False),
    ):
        yield request.param


@pytest.mark.django_db
def test_the_first_request_chooses_a_batch_with_the_strategy_and_keeps_its_reasons(annotators):
    version, _images = pool(6, batch_size=4, labels_required=2, strategy="entropy")

    slot = case_next(user=annotators[0], task=TASK)

    batch = AnnotationBatch.objects.get()
    assert (batch.strategy, batch.size, batch.pool_size) == ("entropy", 4, 6)
    assert batch.model_version_id == version.pk
    cases = list(batch.cases.order_by("rank"))
    assert [case.rank for case in cases] == [0, 1, 2, 3]
    assert all(case.slots.count() == 2 for case in cases)
    # entropy ranks the probabilities nearest 0.5 first
    first = cases[0].pick
    assert first["strategy"] == "entropy" and first["scores"]["entropy"] > 0.6
    assert abs(first["image_score"]["probability"] - 0.5) < 0.15
    assert slot.case == cases[0] and slot.number == 1
    assert len({case.pseudonym for case in cases}) == 4
    assert all(len(case.pseudonym) == 16 for case in cases)


@pytest.mark.django_db
def test_each_case_goes_to_k_annotators_and_never_twice_to_one(annotators):
    pool(3, batch_size=3, labels_required=2)
    first, second, third = annotators
    given: dict[object, list[int]] = {}
    for user in (first, second):
        given[user] = []
        while (slot := case_next(user=user, task=TASK)) is not None:
            given[user].append(slot.case_id)
            submit(slot)

    assert sorted(given[first]) == sorted(given[second])
    assert len(set(given[first])) == 3
    assert case_next(user=third, task=TASK) is None  # every slot is taken, the pool is spent
    assert AnnotationBatch.objects.count() == 1


@pytest.mark.django_db
def test_a_held_case_is_given_again_with_its_lock_renewed(annotators):
    pool(3, batch_size=3, labels_required=1, lock_seconds=60)
    slot = case_next(user=annotators[0], task=TASK)
    CaseSlot.objects.filter(pk=slot.pk).update(
        locked_until=timezone.now() + dt.timedelta(seconds=5)
    )

    again = case_next(user=annotators[0], task=TASK)

    assert again.pk == slot.pk
    again.refresh_from_db()
    assert again.locked_until > timezone.now() + dt.timedelta(seconds=50)


@pytest.mark.django_db
def test_an_expired_lock_is_taken_over_by_the_next_annotator(annotators):
    pool(1, batch_size=1, labels_required=1)
    first, second, _ = annotators
    slot = case_next(user=first, task=TASK)
    assert case_next(user=second, task=TASK) is None  # held by the first, lock live
    CaseSlot.objects.filter(pk=slot.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )

    taken = case_next(user=second, task=TASK)

    assert taken.pk == slot.pk and taken.annotator == second
    with pytest.raises(NotFound):
        from annotations.selectors import case_slot_of

        case_slot_of(user=first, pseudonym=slot.case.pseudonym)


@pytest.mark.django_db
def test_a_skip_needs_a_reason_and_changes_nothing_without_one(annotators):
    pool(2, batch_size=2, labels_required=1)
    slot = case_next(user=annotators[0], task=TASK)

    with pytest.raises(DomainError):
        case_skip(user=annotators[0], pseudonym=slot.case.pseudonym, reason="   ")

    slot.refresh_from_db()
    assert slot.status == "locked" and slot.annotator == annotators[0]
    assert not CaseSkip.objects.exists()


@pytest.mark.django_db
def test_the_skipper_never_gets_the_case_back_and_someone_else_does(annotators):
    pool(2, batch_size=2, labels_required=1)
    first, second, _ = annotators
    slot = case_next(user=first, task=TASK)
    skipped = slot.case

    following = case_skip(user=first, pseudonym=skipped.pseudonym, reason="image cut off")

    assert following is not None and following.case != skipped
    assert CaseSkip.objects.get().reason == "image cut off"
    submit(following)
    assert case_next(user=first, task=TASK) is None
    assert case_next(user=second, task=TASK).case == skipped


@pytest.mark.django_db
def test_labelled_images_and_other_versions_scores_are_not_chosen(annotators):
    version, images = pool(4, batch_size=10, labels_required=1)
    study = images[0].series.study
    Label.objects.create(task=TASK, study=study, value="x", kind="class", source="seed")
    old = model_version(active=False)
    pool_image(version=old, probability=0.5)

    case_next(user=annotators[0], task=TASK)

    chosen = set(AnnotationCase.objects.values_list("instance_id", flat=True))
    assert chosen == {image.pk for image in images[1:]}
    assert AnnotationBatch.objects.get().model_version == version


@pytest.mark.django_db
def test_nothing_to_choose_gives_none(annotators):
    model_version()
    assert case_next(user=annotators[0], task=TASK) is None
    assert not AnnotationBatch.objects.exists()


@pytest.mark.django_db
def test_the_hybrid_never_puts_two_identical_images_in_one_batch(annotators):
    version = model_version()
    same = np.ones(8)
    for _ in range(5):
        pool_image(version=version, probability=0.5, embedding=same)
    for i in range(5):
        pool_image(version=version, probability=0.3, embedding=np.full(8, float(i + 2)))
    queue_settings(batch_size=4, labels_required=1, strategy="weighted_kmeans_pp")

    case_next(user=annotators[0], task=TASK)

    vectors = [
        bytes(ImageScore.objects.get(instance_id=case.instance_id).embedding)
        for case in AnnotationCase.objects.all()
    ]
    assert len(vectors) == len(set(vectors)) == 4


@pytest.mark.django_db
def test_the_next_batch_is_chosen_ahead_by_a_task_before_the_free_slots_run_out(
    annotators, django_capture_on_commit_callbacks
):
    from annotations.queue_tasks import batch_choose_task

    pool(40, batch_size=10, labels_required=1)
    with (
        mock.patch.object(batch_choose_task, "apply_async", autospec=True) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_next(user=annotators[0], task=TASK)

    assert AnnotationBatch.objects.count() == 1  # the request did not wait for a choice
    send.assert_called_once_with(kwargs={"task": TASK, "below": 16}, retry=False)
    batch_choose_task(**send.call_args.kwargs["kwargs"])  # what the worker runs
    batch_choose_task(**send.call_args.kwargs["kwargs"])  # twice: 19 free now, nothing more
    batches = list(AnnotationBatch.objects.order_by("pk"))
    assert [batch.size for batch in batches] == [10, 10]
    assert batches[1].pool_size == 30


@pytest.mark.django_db
def test_bald_is_chosen_from_the_stored_mc_dropout_figures(annotators):
    version = model_version()
    calm = pool_image(version=version, probability=0.5)
    torn = pool_image(version=version, probability=0.5)
    ImageScore.objects.filter(instance=calm).update(mc_variance=0.0001)
    ImageScore.objects.filter(instance=torn).update(mc_variance=0.2)
    queue_settings(batch_size=1, labels_required=1, strategy="bald")

    slot = case_next(user=annotators[0], task=TASK)

    assert slot.case.instance_id == torn.pk


@pytest.mark.django_db(transaction=True)
def test_sixteen_annotators_asking_at_once_never_get_the_same_slot(make_user):
    pool(12, batch_size=12, labels_required=2)
    users = [make_user("annotator", f"crowd-{i}") for i in range(16)]
    barrier = threading.Barrier(len(users))
    results: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def ask(user) -> None:
        try:
            barrier.wait(timeout=30)
            slot = case_next(user=user, task=TASK)
            results[user.pk] = slot.pk if slot else None
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    slots = list(results.values())
    assert None not in slots and len(slots) == 16
    assert len(set(slots)) == 16  # no slot given twice
    assert AnnotationBatch.objects.count() == 1  # one batch, not one per caller
    taken = CaseSlot.objects.filter(status="locked")
    assert taken.count() == 16
    pairs = list(taken.values_list("case_id", "annotator_id"))
    assert len(set(pairs)) == 16


@pytest.mark.django_db(transaction=True)
def test_a_slot_another_taker_has_locked_is_passed_over_without_waiting(make_user, queue_path):
    """PostgreSQL's one statement skips a slot someone else is taking this instant (SKIP
    LOCKED) and gives the next one, where an UPDATE of that row would wait for its lock."""
    if queue_path == "portable":
        pytest.skip("SKIP LOCKED is the PostgreSQL path's")
    pool(3, batch_size=3, labels_required=1, strategy="entropy")
    from annotations.services.queue import batch_choose

    batch_choose(task=TASK)
    first = CaseSlot.objects.order_by("case__rank", "number").first()
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                CaseSlot.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail the test, not hang it
        slot = case_next(user=make_user("annotator", "taker"), task=TASK)
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert slot is not None and slot.pk != first.pk
    assert CaseSlot.objects.get(pk=first.pk).status == "free"
