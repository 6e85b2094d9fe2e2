"""Label schema versions: reading the current one and adding the next (versions never change)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from annotations.models import LabelSchema
from annotations.validation import schema_errors
from config.errors import Conflict, DomainError, NotFound
from ml.core.tasks import TASKS, TaskSpec, task_get

logger = logging.getLogger(__name__)


def _task(name: str) -> TaskSpec:
    try:
        return task_get(name)
    except ValueError as error:
        raise NotFound(str(error)) from None


def label_schema_list(*, task: str) -> QuerySet[LabelSchema]:
    """Every version of the task's schema, newest first; NotFound for an unknown task."""
    return LabelSchema.objects.filter(task=_task(task).name).order_by("-version")


def label_schema_current(*, task: str) -> LabelSchema:
    """The task's current schema: its highest version. NotFound for an unknown task or one
    without any version (migration 0003 seeds version 1 of every registered task)."""
    schema = label_schema_list(task=task).first()
    if schema is None:
        raise NotFound(f"Task {task} has no label schema yet.")
    return schema


def label_schema_version(*, task: str, version: int) -> LabelSchema:
    """Version `version` of the task's schema: the one a case or label was made under, so its
    keys are the ones the server checks. NotFound for an unknown task; DomainError (400) naming
    the versions there are for a version that does not exist."""
    schemas = label_schema_list(task=task)
    schema = schemas.filter(version=version).first()
    if schema is None:
        current = schemas.first()
        there = f"its versions are 1 to {current.version}" if current else "it has none yet"
        raise DomainError(f"Task {task} has no label schema version {version}; {there}.")
    return schema


def label_schemas_ensure(*, schema_model: Any = LabelSchema, **_: Any) -> None:
    """Give every registered task without a schema its version 1 (the task's classes, keys 1, 2,
    ...; one box and one mask class for the finding's region). Safe to run repeatedly; migration
    0003 calls it with its historical model, and post_migrate after every migrate and flush."""
    for spec in TASKS.values():
        if schema_model.objects.filter(task=spec.name).exists():
            continue
        region = {
            "key": "opacity",
            "display_name": f"{spec.finding} region",
            "colour": "#ff8c00",
            "hotkey": "b",
        }
        try:
            with transaction.atomic():
                schema_model.objects.create(
                    task=spec.name,
                    version=1,
                    classes=[
                        {"key": c.key, "display_name": c.display_name, "hotkey": str(number)}
                        for number, c in enumerate(spec.classes, start=1)
                    ],
                    multi_label=False,
                    box_classes=[region],
                    mask_classes=[{**region, "hotkey": "m"}],
                    note="seeded from the task registry",
                )
        except IntegrityError:
            continue  # another process seeded it at the same moment


def label_schema_data(schema: LabelSchema) -> dict[str, Any]:
    """A schema version as the API gives it."""
    return {
        "task": schema.task,
        "version": schema.version,
        "classes": schema.classes,
        "multi_label": schema.multi_label,
        "box_classes": schema.box_classes,
        "mask_classes": schema.mask_classes,
        "note": schema.note,
        "created_at": schema.created_at,
        "created_by": schema.created_by.get_username() if schema.created_by else None,
    }


def label_schema_create(
    *,
    task: str,
    classes: Any,
    multi_label: bool,
    box_classes: Any,
    mask_classes: Any,
    created_by: User | None,
    note: str = "",
) -> LabelSchema:
    """Add version n+1 of the task's schema. Labels keep the version they were made under, so
    old labels stay valid under theirs. Refuses (DomainError, with {"errors": {field: message}})
    a malformed list, repeated keys or hotkeys, a colour not #rrggbb, or a schema without the
    task registry's classes; Conflict when another admin added a version at the same moment.
    Not idempotent: each call adds a version."""
    spec = _task(task)
    errors = schema_errors(
        registry_classes=spec.class_keys,
        classes=classes,
        box_classes=box_classes,
        mask_classes=mask_classes,
    )
    if errors:
        first = next(iter(errors.values()))
        raise DomainError(first, {"errors": errors})
    current = LabelSchema.objects.filter(task=spec.name).order_by("-version").first()
    try:
        with transaction.atomic():
            schema = LabelSchema.objects.create(
                task=spec.name,
                version=(current.version if current else 0) + 1,
                classes=classes,
                multi_label=multi_label,
                box_classes=box_classes,
                mask_classes=mask_classes,
                created_by=created_by,
                note=note,
            )
    except IntegrityError:
        # The unique (task, version) constraint: someone else took this number first.
        raise Conflict(
            "Another schema version was added at the same moment; reload and try again."
        ) from None
    logger.info("label_schema_created task=%s version=%s", schema.task, schema.version)
    return schema
