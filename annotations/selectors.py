"""Reads of the annotation queue: the slot a caller holds, the slots they may take, the pool a
batch is chosen from, and a case as its annotator sees it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from annotations.models import (
    AnnotationBatch,
    AnnotationCase,
    CaseSkip,
    CaseSlot,
    ImageScore,
    Label,
    LabelSchema,
)
from archive.models import Instance
from config.errors import NotFound
from ml.core.tasks import task_get
from ml.models import ModelVersion

# ImageScore columns a batch choice reads, in this order.
POOL_COLUMNS = (
    "pk",
    "instance_id",
    "frame_number",
    "model_version_id",
    "probability",
    "entropy",
    "margin",
    "mc_mean",
    "mc_variance",
    "bald",
    "embedding",
    "embedding_dim",
)


def one_statement() -> bool:
    """Whether the queue's hot paths use their precompiled PostgreSQL statements (SKIP LOCKED,
    LATERAL); the portable ORM path serves SQLite, the embedded default (scripts/run)."""
    return connection.vendor == "postgresql"


def labelled_q(*, task: str, instance_ref: str = "pk", study_ref: str = "series__study_id") -> Q:
    """Images that carry a label of `task`: one of the image itself, or a study-level label
    (a radiologist's read) of its study. Used as ~Exists(...) by the pool and the queue."""
    own = Label.objects.filter(task=task, instance_id=OuterRef(instance_ref))
    of_study = Label.objects.filter(task=task, instance__isnull=True, study_id=OuterRef(study_ref))
    return Q(Exists(own)) | Q(Exists(of_study))


def pool_instances_unscored(
    *, task: str, model_version_id: int, after_id: int = 0, limit: int = 256
) -> QuerySet[Instance]:
    """Up to `limit` instances (id order, ids above `after_id`) that pool scoring should look at:
    of a modality the task's model may judge, without a label of the task, not in an annotation
    case of it and not yet scored by the version. The model config's full eligibility (body
    part, species, ...) is checked by the caller on the header; those it refuses stay here and
    are looked at again by later runs (header only, no pixels).
    """
    spec = task_get(task)
    in_case = AnnotationCase.objects.filter(task=task, instance_id=OuterRef("pk"))
    scored = ImageScore.objects.filter(
        task=task, model_version_id=model_version_id, instance_id=OuterRef("pk")
    )
    return (
        Instance.objects.filter(pk__gt=after_id, series__modality__in=spec.modalities)
        .exclude(labelled_q(task=task))
        .exclude(Exists(in_case))
        .exclude(Exists(scored))
        .order_by("pk")
        .only("pk", "file", "metadata_json")[:limit]
    )


def slot_held(*, user: AbstractBaseUser, task: str) -> CaseSlot | None:
    """The caller's slot of an open case of `task` that they have not submitted, if any (their
    lock may have lapsed: while no one else took it, it is still theirs)."""
    held = (
        CaseSlot.objects.filter(
            annotator=user,
            status=CaseSlot.Status.LOCKED,
            case__task=task,
            case__status=AnnotationCase.Status.OPEN,
        )
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    # Most calls come after a submit and find none: the plain look costs a fraction of the
    # {case} query's building, which only a held slot needs.
    return None if held is None else slot_with_case(pk=held)


def slots_takeable(*, user: AbstractBaseUser, task: str, now: dt.datetime, limit: int) -> list[int]:
    """Ids of up to `limit` slots `user` may take, first in (batch, rank, number) order: free or
    with an expired lock, of an open case of `task` in which they hold no slot and which they
    have not skipped."""
    mine = CaseSlot.objects.filter(case_id=OuterRef("case_id"), annotator=user)
    skipped = CaseSkip.objects.filter(case_id=OuterRef("case_id"), annotator=user)
    takeable = Q(status=CaseSlot.Status.FREE) | Q(
        status=CaseSlot.Status.LOCKED, locked_until__lt=now
    )
    return list(
        CaseSlot.objects.filter(takeable, case__task=task, case__status=AnnotationCase.Status.OPEN)
        .exclude(Exists(mine))
        .exclude(Exists(skipped))
        .order_by("case__batch_id", "case__rank", "number")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True)
class PoolRows:
    """The candidates of a batch choice: row i of each array is candidate i (`rows[i]` its
    ImageScore figures), and the embeddings of images already given to annotators."""

    rows: list[dict[str, Any]]
    probabilities: np.ndarray
    mc_mean: np.ndarray | None
    mc_variance: np.ndarray | None
    embeddings: np.ndarray
    chosen_embeddings: np.ndarray


def pool_rows(*, task: str) -> PoolRows:
    """The ImageScores of the task's active model version for images that are neither labelled
    nor in a case: what the queue's strategy chooses from. The MC-dropout arrays are None when
    any candidate lacks them."""
    in_case = AnnotationCase.objects.filter(
        task=task, instance_id=OuterRef("instance_id"), frame_number=OuterRef("frame_number")
    )
    active = ImageScore.objects.filter(task=task, model_version__is_active=True)
    candidates = active.exclude(Exists(in_case)).exclude(
        labelled_q(task=task, instance_ref="instance_id", study_ref="instance__series__study_id")
    )
    rows = [dict(zip(POOL_COLUMNS, values, strict=True)) for values in _values(candidates)]
    chosen = [row[0] for row in active.filter(Exists(in_case)).values_list("embedding")]
    dim = rows[0]["embedding_dim"] if rows else 0
    mc_mean = [row["mc_mean"] for row in rows]
    mc_variance = [row["mc_variance"] for row in rows]
    has_mc = bool(rows) and None not in mc_mean and None not in mc_variance
    return PoolRows(
        rows=rows,
        probabilities=np.array([row["probability"] for row in rows], np.float64),
        mc_mean=np.array(mc_mean, np.float64) if has_mc else None,
        mc_variance=np.array(mc_variance, np.float64) if has_mc else None,
        embeddings=_vectors([row["embedding"] for row in rows], dim),
        chosen_embeddings=_vectors(chosen, dim),
    )


def _values(queryset: Any) -> list[tuple[Any, ...]]:
    return list(queryset.order_by("pk").values_list(*POOL_COLUMNS))


def _vectors(blobs: list[Any], dim: int) -> np.ndarray:
    """float32 (N, dim) from embedding bytes; rows of another width (another model) are left
    out, which only happens for already-chosen images of an earlier version."""
    kept = [bytes(blob) for blob in blobs if len(blob) == 4 * dim]
    if not kept or dim == 0:
        return np.zeros((0, max(dim, 1)), np.float32)
    return np.frombuffer(b"".join(kept), dtype="<f4").reshape(len(kept), dim)


def case_slot_of(*, user: AbstractBaseUser, pseudonym: str) -> CaseSlot:
    """The caller's slot (locked or submitted) of the case called `pseudonym`, with its case;
    NotFound when there is no such case or it was not given to them (the same answer, so a
    pseudonym's existence does not leak)."""
    if one_statement():
        slot = slot_case_read(pseudonym=pseudonym, user_id=user.pk)
    else:
        slot = slot_with_case(case__pseudonym=pseudonym, annotator=user)
    if slot is None:
        raise NotFound("No such case among the cases given to you.")
    return slot


def slots_with_case() -> QuerySet[CaseSlot]:
    """CaseSlots with everything their {case} answer needs in the same query: the case, its
    batch and model version, the image's size (not its stored DICOM JSON), the task's current
    schema version and the holder's progress in the batch, so that next case costs one SELECT
    after its UPDATE instead of one per part (bench/next_case.py). Read back by
    image_size_of, schema_version_of and slot_progress."""
    mine_in_batch = CaseSlot.objects.filter(
        annotator_id=OuterRef("annotator_id"), case__batch_id=OuterRef("case__batch_id")
    )
    return CaseSlot.objects.select_related("case__batch__model_version").annotate(
        image_rows=F("case__instance__rows"),
        image_columns=F("case__instance__columns"),
        schema_version=Subquery(
            LabelSchema.objects.filter(task=OuterRef("case__task"))
            .order_by("-version")
            .values("version")[:1]
        ),
        progress_done=_count(mine_in_batch.filter(status=CaseSlot.Status.SUBMITTED)),
        progress_before=_count(mine_in_batch.filter(started_at__lte=OuterRef("started_at"))),
    )


def slot_with_case(*, order: tuple[str, ...] = ("pk",), **filters: Any) -> CaseSlot | None:
    """The first slot of slots_with_case() matching `filters` in `order`, its case carrying
    what was read with it (image_size, schema_version_current)."""
    slot = slots_with_case().filter(**filters).order_by(*order).first()
    if slot is not None:
        slot.case.image_size = (slot.image_rows, slot.image_columns)  # type: ignore[attr-defined]
        slot.case.schema_version_current = slot.schema_version  # type: ignore[attr-defined]
    return slot


def _count(slots: QuerySet[CaseSlot]) -> Coalesce:
    """COUNT of `slots` (all of one annotator) as a scalar subquery, 0 when there are none."""
    counted = slots.order_by().values("annotator_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def schema_version_of(case: AnnotationCase) -> int:
    """The case's task's current schema version, as slots_with_case read it if it did."""
    version = getattr(case, "schema_version_current", None)
    return version if version is not None else schema_version_current(task=case.task)


def schema_version_current(*, task: str) -> int:
    """The task's newest label schema version (1 before any edit)."""
    latest = LabelSchema.objects.filter(task=task).order_by("-version").first()
    return latest.version if latest else 1


def image_size_of(case: AnnotationCase) -> tuple[int | None, int | None]:
    """The case image's rows and columns (without loading its stored DICOM JSON)."""
    if hasattr(case, "image_size"):
        return case.image_size
    size = Instance.objects.filter(pk=case.instance_id).values_list("rows", "columns").first()
    return size if size is not None else (None, None)


def slot_progress(*, slot: CaseSlot) -> dict[str, int]:
    """The annotator's progress in the slot's batch: slots submitted, the batch's case count,
    and this slot's 1-based place among the ones they were given in it (one query)."""
    started = slot.started_at
    if hasattr(slot, "progress_done"):  # read with the slot (slots_with_case)
        counts = {"done": slot.progress_done, "before": slot.progress_before}
    else:
        counts = CaseSlot.objects.filter(
            annotator_id=slot.annotator_id, case__batch_id=slot.case.batch_id
        ).aggregate(
            done=Count("pk", filter=Q(status=CaseSlot.Status.SUBMITTED)),
            before=Count("pk", filter=Q(started_at__lte=started)) if started else Value(0),
        )
    position = counts["before"] if started else counts["done"] + 1
    return {
        "done": counts["done"],
        "batch_size": slot.case.batch.size,
        "position": max(position, 1),
    }


def case_labels_of(slot: CaseSlot, *, fresh: bool = False) -> list[Label]:
    """The slot holder's labels on its case, in order. A slot just taken has none (a holder's
    labels go when they skip or lose the case), so next case skips the query (`fresh`)."""
    if fresh:
        return []
    return list(
        Label.objects.filter(case_id=slot.case_id, author_id=slot.annotator_id).order_by("pk")
    )


# --- PostgreSQL: the {case} of a slot in one precompiled SELECT --------------------------------
# Next case is the annotators' hottest request; building slots_with_case() with its Subqueries
# cost more CPU than running it (Django's query compilation, bench/next_case.py). The same read
# as one fixed SQL string: the slot, its case, batch and model version, the image's size, the
# task's current schema version, the holder's progress in the batch, the pool score behind the
# pre-annotation, and (for next case) the free slots left, counted up to a limit.


def _columns(alias: str, model: Any, names: tuple[str, ...] | None = None) -> list[str]:
    fields = [f for f in model._meta.concrete_fields if names is None or f.attname in names]
    return [f'{alias}."{f.column}"' for f in fields]


def _attnames(model: Any, names: tuple[str, ...] | None = None) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if names is None or f.attname in names]


_VERSION_FIELDS = ("id", "task", "version", "threshold", "calibration", "is_active")
_SLOT_ATTS = _attnames(CaseSlot)
_CASE_ATTS = _attnames(AnnotationCase)
_BATCH_ATTS = _attnames(AnnotationBatch)
_VERSION_ATTS = _attnames(ModelVersion, _VERSION_FIELDS)
_CASE_SELECT = """
SELECT {slot}, {case}, {batch}, {version},
       i."rows", i."columns",
       (SELECT ls.version FROM annotations_labelschema ls WHERE ls.task = c.task
        ORDER BY ls.version DESC LIMIT 1) AS schema_version,
       (SELECT count(*) FROM annotations_caseslot p
        JOIN annotations_annotationcase pc ON pc.id = p.case_id
        WHERE p.annotator_id = s.annotator_id AND pc.batch_id = c.batch_id
          AND p.status = 'submitted') AS progress_done,
       (SELECT count(*) FROM annotations_caseslot p
        JOIN annotations_annotationcase pc ON pc.id = p.case_id
        WHERE p.annotator_id = s.annotator_id AND pc.batch_id = c.batch_id
          AND p.started_at <= s.started_at) AS progress_before,
       sc.probability, sc.hot_box,
       (SELECT count(*) FROM (
          SELECT 1 FROM annotations_caseslot f
          JOIN annotations_annotationcase fc ON fc.id = f.case_id
          WHERE fc.task = c.task AND fc.status = 'open' AND f.status = 'free'
          LIMIT %(free_limit)s) AS free) AS free_slots
FROM annotations_caseslot s
JOIN annotations_annotationcase c ON c.id = s.case_id
JOIN annotations_annotationbatch b ON b.id = c.batch_id
LEFT JOIN ml_modelversion v ON v.id = b.model_version_id
JOIN archive_instance i ON i.id = c.instance_id
LEFT JOIN LATERAL (
    SELECT sc.probability, sc.hot_box FROM annotations_imagescore sc
    WHERE sc.task = c.task AND sc.model_version_id = b.model_version_id
      AND sc.instance_id = c.instance_id AND sc.frame_number = c.frame_number
    ORDER BY sc.id LIMIT 1) sc ON true
""".format(  # noqa: S608 - column names from the models' own metadata, no input
    slot=", ".join(_columns("s", CaseSlot)),
    case=", ".join(_columns("c", AnnotationCase)),
    batch=", ".join(_columns("b", AnnotationBatch)),
    version=", ".join(_columns("v", ModelVersion, _VERSION_FIELDS)),
)
CASE_BY_SLOT_SQL = _CASE_SELECT + "WHERE s.id = %(slot_id)s"
CASE_BY_PSEUDONYM_SQL = (
    _CASE_SELECT
    + "WHERE c.pseudonym = %(pseudonym)s AND s.annotator_id = %(user_id)s ORDER BY s.id LIMIT 1"
)


def _model_from(model: Any, attnames: list[str], values: Any) -> Any:
    """A model instance from raw values, through the fields' own converters (JSON is text)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    converted = []
    for name, value in zip(attnames, values, strict=True):
        field = fields[name]
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


def slot_case_read(
    *,
    slot_id: int | None = None,
    pseudonym: str | None = None,
    user_id: int | None = None,
    free_limit: int = 0,
) -> CaseSlot | None:
    """The slot (by id, or the user's of the case called `pseudonym`) with all its {case}
    answer reads, in one SELECT (PostgreSQL). slot.free_slots: the task's free slots, counted
    up to `free_limit`."""
    sql = CASE_BY_SLOT_SQL if slot_id is not None else CASE_BY_PSEUDONYM_SQL
    params = {
        "slot_id": slot_id,
        "pseudonym": pseudonym,
        "user_id": user_id,
        "free_limit": free_limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    at = 0
    parts = []
    for model, names in (
        (CaseSlot, _SLOT_ATTS),
        (AnnotationCase, _CASE_ATTS),
        (AnnotationBatch, _BATCH_ATTS),
        (ModelVersion, _VERSION_ATTS),
    ):
        parts.append((model, names, row[at : at + len(names)]))
        at += len(names)
    slot, case, batch, version = (_model_from(*part) for part in parts)
    rows, columns, schema_version, done, before, probability, hot_box, free = row[at:]
    batch.model_version = version if batch.model_version_id is not None else None
    case.batch = batch
    slot.case = case
    case.image_size = (rows, columns)
    case.schema_version_current = schema_version
    case.pre_score = (  # read with the case: serializers.pre_annotation skips its query
        None if probability is None else {"probability": probability, "hot_box": _json(hot_box)}
    )
    slot.progress_done, slot.progress_before = done, before
    slot.free_slots = free
    return slot


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
