"""Signal receivers that record what happens outside the audited routes' own rows: logins, user
and role changes (also from Django's admin and manage.py), model activations and retraining,
training settings and schedules, labels and review decisions.

Inside an audited request they add to its row (audit_record merges); elsewhere each is a row.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.dispatch import receiver

from audit import context, services
from audit.services import audit_record, record_now

# User fields whose change is a change of the user's security roles.
_ROLE_FIELDS = ("is_superuser", "is_staff")
_WATCHED_FIELDS = ("username", "password", "is_active", "email", *_ROLE_FIELDS)


@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender: Any, request: Any, user: Any, **_: Any) -> None:
    record_now(
        event="user_authentication",
        action="E",
        event_type="login",
        user=user,
        objects=[services.user_object(user.pk, user.get_username())],
    )


@receiver(user_logged_out, dispatch_uid="audit.logout")
def _logged_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is None:
        return
    record_now(
        event="user_authentication",
        action="E",
        event_type="logout",
        user=user,
        objects=[services.user_object(user.pk, user.get_username())],
    )


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    # Django has already masked the password in `credentials`; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    record_now(
        event="user_authentication",
        action="E",
        event_type="login",
        outcome=4,
        username=username,
        description="login failed",
        objects=[services.user_object(None, username)] if username else [],
    )


# --- users and roles ---------------------------------------------------------------------------
@receiver(post_init, sender=User, dispatch_uid="audit.user_init")
def _user_loaded(instance: User, **_: Any) -> None:
    # What the row held when loaded (no query: deferred fields are left out).
    instance._audit_loaded = {f: instance.__dict__.get(f) for f in _WATCHED_FIELDS}  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="audit.user_saved")
def _user_saved(instance: User, created: bool, update_fields: Any = None, **_: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login; recorded as such
    before = getattr(instance, "_audit_loaded", {})
    if created:
        changed = [f for f in _WATCHED_FIELDS if f != "password" and instance.__dict__.get(f)]
    else:
        changed = [
            f
            for f in _WATCHED_FIELDS
            if f in instance.__dict__ and before.get(f) is not None
            and before.get(f) != instance.__dict__.get(f)
        ]  # fmt: skip
    instance._audit_loaded = {f: instance.__dict__.get(f) for f in _WATCHED_FIELDS}  # type: ignore[attr-defined]
    if not created and not changed:
        return
    roles = any(f in _ROLE_FIELDS for f in changed)
    flags = ", ".join(f"{f}={instance.__dict__.get(f)}" for f in changed if f in _ROLE_FIELDS)
    audit_record(
        event="security_alert",
        action="C" if created else "U",
        event_type="security_roles_changed" if roles else "user_security_attributes_changed",
        objects=[services.user_object(instance.pk, instance.get_username())],
        description=("user created" if created else "user changed: " + ", ".join(changed))
        + (f" ({flags})" if flags else ""),
    )


@receiver(post_delete, sender=User, dispatch_uid="audit.user_deleted")
def _user_deleted(instance: User, **_: Any) -> None:
    audit_record(
        event="security_alert",
        action="D",
        event_type="user_security_attributes_changed",
        objects=[services.user_object(instance.pk, instance.get_username())],
        description="user deleted",
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit.user_groups")
def _user_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    from django.contrib.auth.models import Group

    if action == "post_clear" and not reverse:
        services.user_roles_forget([instance.pk])
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # changed from the group's side: instance is a group, pk_set users
        users = list(User.objects.filter(pk__in=pk_set or ()).values_list("pk", "username"))
        if action == "pre_clear":
            users = list(instance.user_set.values_list("pk", "username"))
        groups = [instance.name]
    else:
        users = [(instance.pk, instance.get_username())]
        if action == "pre_clear":
            groups = list(instance.groups.values_list("name", flat=True))
        else:
            groups = list(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    services.user_roles_forget(pk for pk, _ in users)
    if not users or not groups:
        return
    verb = "added to" if action == "post_add" else "removed from"
    audit_record(
        event="security_alert",
        action="U",
        event_type="security_roles_changed",
        objects=[services.user_object(pk, name) for pk, name in users],
        description=f"{verb} role(s) {', '.join(sorted(groups))}",
    )


# --- models and retraining (ml) ------------------------------------------------------------------
_MODEL_ACTIONS = {"registered": "C", "activated": "U", "deactivated": "U", "rejected": "U"}


@receiver(post_save, sender="ml.ModelAuditEntry", dispatch_uid="audit.model_entry")
def _model_entry(instance: Any, created: bool, **_: Any) -> None:
    if not created:
        return
    audit_record(
        event="application_activity",
        action=_MODEL_ACTIONS.get(instance.action, "E"),
        event_type="software_configuration",
        user=instance.actor,
        objects=[services.model_version(instance.version_id, action=instance.action)],
        description=f"model version {instance.version_id} {instance.get_action_display()}",
    )


@receiver(post_init, sender="ml.TrainingRun", dispatch_uid="audit.run_init")
def _run_loaded(instance: Any, **_: Any) -> None:
    instance._audit_status = instance.__dict__.get("status")


@receiver(post_save, sender="ml.TrainingRun", dispatch_uid="audit.run_saved")
def _run_saved(instance: Any, created: bool, **_: Any) -> None:
    before, instance._audit_status = getattr(instance, "_audit_status", None), instance.status
    if created:
        description = f"retraining of {instance.task} requested ({instance.trigger})"
        action = "C"
    elif before != instance.status and instance.status in instance.FINISHED:
        description = f"retraining of {instance.task} {instance.status}"
        action = "E"
    else:
        return  # lease renewals, progress: not configuration changes
    audit_record(
        event="application_activity",
        action=action,
        event_type="software_configuration",
        user=instance.requested_by if created else None,
        objects=[services.run(instance.pk, task=instance.task)],
        description=description,
    )


def _settings_saved(kind: str, user_field: str) -> Any:
    def saved(instance: Any, created: bool, **_: Any) -> None:
        audit_record(
            event="application_activity",
            action="C" if created else "U",
            event_type="software_configuration",
            user=getattr(instance, user_field, None),
            objects=[services.settings_object(f"{kind}:{instance.task}", id=instance.pk)],
            description=f"{kind} of {instance.task} {'created' if created else 'changed'}",
        )

    return saved


def _settings_deleted(instance: Any, **_: Any) -> None:
    audit_record(
        event="application_activity",
        action="D",
        event_type="software_configuration",
        objects=[services.settings_object(f"retrain schedule:{instance.task}", id=instance.pk)],
        description=f"retrain schedule of {instance.task} deleted",
    )


_training_settings_saved = _settings_saved("training settings", "updated_by")
_schedule_saved = _settings_saved("retrain schedule", "created_by")
post_save.connect(_training_settings_saved, sender="ml.TrainingSettings", dispatch_uid="audit.ts")
post_save.connect(_schedule_saved, sender="ml.RetrainSchedule", dispatch_uid="audit.schedule")
post_delete.connect(_settings_deleted, sender="ml.RetrainSchedule", dispatch_uid="audit.sch_del")


# --- labels and review decisions (annotations) -------------------------------------------------
def _label_objects(instance: Any) -> list[services.AuditObjectSpec]:
    from audit.objects import case_objects

    objects = [services.label(instance.pk, task=instance.task, source=instance.source)]
    if instance.case_id is not None:
        pseudonym = type(instance).case.field.related_model.objects.filter(
            pk=instance.case_id
        ).values_list("pseudonym", flat=True).first()  # fmt: skip
        if pseudonym:
            return objects + case_objects(pseudonym)
    uid = instance.study.study_instance_uid if instance.study_id else ""
    return objects + (services.study_objects(uid) if uid else [])


def _label_changed(instance: Any, action: str) -> None:
    if instance.source == "seed":
        # Seed labels come with a data set a command loads (thousands at once); that load is
        # an import, not a record change of a patient's.
        return
    audit_record(
        event="patient_record",
        action=action,
        user=instance.author,
        objects=_label_objects(instance),
        description=f"label {instance.task} {instance.kind} ({instance.source})",
    )


@receiver(post_save, sender="annotations.Label", dispatch_uid="audit.label_saved")
def _label_saved(instance: Any, created: bool, **_: Any) -> None:
    _label_changed(instance, "C" if created else "U")


@receiver(post_delete, sender="annotations.Label", dispatch_uid="audit.label_deleted")
def _label_deleted(instance: Any, **_: Any) -> None:
    _label_changed(instance, "D")


@receiver(post_save, sender="annotations.ReviewDecision", dispatch_uid="audit.review_saved")
def _review_saved(instance: Any, created: bool, **_: Any) -> None:
    from audit.objects import case_objects

    audit_record(
        event="patient_record",
        action="C" if created else "U",
        user=instance.reviewer,
        objects=case_objects(instance.case.pseudonym),
        description=f"review decision {instance.decision}",
    )


@receiver(post_delete, sender="annotations.ReviewDecision", dispatch_uid="audit.review_deleted")
def _review_deleted(instance: Any, **_: Any) -> None:
    from audit.objects import case_objects

    audit_record(
        event="patient_record",
        action="D",
        objects=case_objects(instance.case.pseudonym),
        description="review decision deleted",
    )


# --- the archive: forget remembered patients of studies that changed ----------------------------
@receiver(post_save, sender="archive.Study", dispatch_uid="audit.study_saved")
@receiver(post_delete, sender="archive.Study", dispatch_uid="audit.study_deleted")
def _study_changed(instance: Any, **_: Any) -> None:
    uid = instance.study_instance_uid
    services.study_patient_forget(uid=uid)
    # A study stored by this request (STOW-RS) is named in the request's row, with its patient.
    state = context.current.get()
    pending = state.pending if state is not None else None
    stored_here = pending is not None and pending.event == "instances_transferred"
    if stored_here and services.study(uid) not in pending.objects:  # type: ignore[union-attr]
        pending.merge(  # type: ignore[union-attr]
            event_type="", outcome=0, description="", objects=services.study_objects(uid)
        )


@receiver(post_save, sender="archive.Patient", dispatch_uid="audit.patient_saved")
@receiver(post_delete, sender="archive.Patient", dispatch_uid="audit.patient_deleted")
def _patient_changed(instance: Any, created: bool = False, **_: Any) -> None:
    # A corrected patient id or name: its old id is not known here, so everything is forgotten
    # (a new patient has no studies remembered yet).
    if not created:
        services.study_patient_forget(everything=True)
