"""Archive reads: QIDO-RS searches and the rows WADO-RS serves, each one or two indexed queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Upper

from archive.dicomweb.qido_query import Condition, Level, QidoQuery
from archive.models import Instance, Series, Study
from config.errors import NotFound

MODELS: dict[Level, Any] = {"study": Study, "series": Series, "instance": Instance}
# How a search at one level reaches the columns of itself and of the levels above it.
PREFIXES: dict[Level, dict[Level, str]] = {
    "study": {"study": ""},
    "series": {"study": "study__", "series": ""},
    "instance": {"study": "series__study__", "series": "series__", "instance": ""},
}
ORDERING: dict[Level, tuple[Any, ...]] = {
    # Newest first, matching study_date_recent_idx (PostgreSQL puts undated studies first).
    "study": ("-study_date", "-pk"),
    "series": (F("series_number").asc(nulls_last=True), "pk"),
    "instance": (F("instance_number").asc(nulls_last=True), "pk"),
}


class _Like(Lookup):  # type: ignore[type-arg]
    """SQL LIKE with `\\` as the escape character, whatever the database's default."""

    lookup_name = "dicom_like"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", (*lhs_params, *rhs_params)


def qido_search(
    *,
    query: QidoQuery,
    fields: list[str],
    study_uid: str | None = None,
    series_uid: str | None = None,
) -> list[dict[str, Any]]:
    """Rows (dicts of `fields`, column paths from the query's level) matching a QIDO-RS query.

    `study_uid` / `series_uid` restrict the search to the study or series of the URL. Ordered
    newest study first, then by series and instance number; `limit`/`offset` applied in SQL.
    """
    queryset = _qido_matches(query, study_uid, series_uid)
    queryset = queryset.order_by(*ORDERING[query.level]).values(*fields)
    if query.limit is not None:
        return list(queryset[query.offset : query.offset + query.limit])
    return list(queryset[query.offset :])


def qido_count(
    *,
    query: QidoQuery,
    study_uid: str | None = None,
    series_uid: str | None = None,
    rows_returned: int | None = None,
) -> int:
    """How many results match a QIDO-RS query, whatever its `limit` and `offset`.

    With `rows_returned` (the length of the page qido_search gave), a page that ends the
    results already says the total, and no COUNT query runs.
    """
    if rows_returned is not None:
        short_page = query.limit is None or rows_returned < query.limit
        if short_page and (rows_returned or not query.offset):
            return query.offset + rows_returned
    return _qido_matches(query, study_uid, series_uid).count()


def _qido_matches(query: QidoQuery, study_uid: str | None, series_uid: str | None) -> QuerySet[Any]:
    level = query.level
    prefix = PREFIXES[level]
    queryset: QuerySet[Any] = MODELS[level].objects.all()
    if study_uid is not None:
        queryset = queryset.filter(**{f"{prefix['study']}study_instance_uid": study_uid})
    if series_uid is not None:
        queryset = queryset.filter(**{f"{prefix['series']}series_instance_uid": series_uid})
    for condition in query.conditions:
        queryset = queryset.filter(_condition_q(condition, level))
    return queryset


def _condition_q(condition: Condition, level: Level) -> Any:
    attribute = condition.attribute
    prefix = PREFIXES[level][attribute.level]
    column = f"{prefix}{attribute.search_field or attribute.field}"
    if attribute.match == "modalities":
        study_pk = {"study": "pk", "series": "study_id", "instance": "series__study_id"}[level]
        return Exists(
            Series.objects.filter(study_id=OuterRef(study_pk), modality__in=condition.values)
        )
    if condition.regexes:  # fuzzy person-name matching: every word must match
        words = Q()
        for regex in condition.regexes:
            words &= Q(**{f"{column}__iregex": regex})
        return words
    if condition.pattern is not None:
        upper = attribute.case_insensitive and attribute.search_field is None
        lhs = Upper(F(column)) if upper else F(column)
        return _Like(lhs, Value(condition.pattern))
    if condition.values:
        if len(condition.values) == 1:
            return Q(**{column: condition.values[0]})
        return Q(**{f"{column}__in": condition.values})
    q = Q()
    if condition.low is not None:
        q &= Q(**{f"{column}__gte": condition.low})
    if condition.high is not None:
        q &= Q(**{f"{column}__lte": condition.high})
    return q


def instance_get(*, study_uid: str, series_uid: str, sop_uid: str) -> Instance:
    """The instance at a WADO-RS URL, without its metadata JSON; NotFound when there is none."""
    instance = (
        Instance.objects.defer("metadata_json")
        .filter(
            sop_instance_uid=sop_uid,
            series__series_instance_uid=series_uid,
            series__study__study_instance_uid=study_uid,
        )
        .first()
    )
    if instance is None:
        raise NotFound(f"No instance {sop_uid} in series {series_uid} of study {study_uid}")
    return instance


def _instances_of(
    study_uid: str, series_uid: str | None, sop_uid: str | None = None
) -> QuerySet[Instance]:
    queryset = Instance.objects.filter(series__study__study_instance_uid=study_uid)
    if series_uid is not None:
        queryset = queryset.filter(series__series_instance_uid=series_uid)
    if sop_uid is not None:
        queryset = queryset.filter(sop_instance_uid=sop_uid)
    return queryset.order_by(
        F("series__series_number").asc(nulls_last=True),
        "series_id",
        F("instance_number").asc(nulls_last=True),
        "pk",
    )


def _not_found(study_uid: str, series_uid: str | None, sop_uid: str | None) -> NotFound:
    if sop_uid is not None:
        return NotFound(f"No instance {sop_uid} in series {series_uid} of study {study_uid}")
    if series_uid is not None:
        return NotFound(f"No series {series_uid} in study {study_uid}")
    return NotFound(f"No study {study_uid}")


def instance_files(
    *, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> list[dict[str, Any]]:
    """File name, size and transfer syntax of each instance of a study, series or instance,
    in series then instance order. Raises NotFound when there is none."""
    queryset = _instances_of(study_uid, series_uid, sop_uid)
    rows = [dict(row) for row in queryset.values("file", "file_size", "transfer_syntax_uid")]
    if not rows:
        raise _not_found(study_uid, series_uid, sop_uid)
    return rows


def instance_frame_counts(*, study_uid: str, series_uid: str | None = None) -> list[dict[str, Any]]:
    """File name, SOP Instance UID and number of frames of each instance of a study or series,
    in series then instance order (the study- and series-level rendered resources). Raises
    NotFound when there is none."""
    queryset = _instances_of(study_uid, series_uid)
    rows = [dict(row) for row in queryset.values("file", "sop_instance_uid", "number_of_frames")]
    if not rows:
        raise _not_found(study_uid, series_uid, None)
    return rows


def instance_ids(
    *, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> list[int]:
    """Primary keys of the instances of a study, series or instance in order; NotFound if none."""
    ids = list(_instances_of(study_uid, series_uid, sop_uid).values_list("pk", flat=True))
    if not ids:
        raise _not_found(study_uid, series_uid, sop_uid)
    return ids


def instance_metadata_batch(*, ids: list[int]) -> list[str]:
    """The stored DICOM JSON of these instances, in the order of `ids`."""
    by_id = dict(Instance.objects.filter(pk__in=ids).values_list("pk", "metadata_json"))
    return [by_id[i] for i in ids if i in by_id]


def series_thumbnail_instance(*, study_uid: str, series_uid: str | None = None) -> Instance:
    """The middle image of a series (or of a study's first series with images).

    NotFound when there is no instance with pixel data.
    """
    queryset = _instances_of(study_uid, series_uid).filter(number_of_frames__gt=0)
    if series_uid is None:
        first = queryset.values_list("series_id", flat=True).first()
        queryset = queryset.filter(series_id=first or 0)
    count = queryset.count()
    if not count:
        where = f"series {series_uid}" if series_uid else f"study {study_uid}"
        raise NotFound(f"No image to show in {where}")
    return queryset.defer("metadata_json")[count // 2]
