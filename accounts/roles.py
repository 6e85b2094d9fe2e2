"""The product's roles, as Django groups holding model permissions.

Code checks permissions (`user.has_perm("archive.view_instance")`), never group names, so a site
can grant a permission to a single user without inventing a role.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

RADIOLOGIST = "radiologist"
ANNOTATOR = "annotator"
REVIEWER = "reviewer"
ADMIN = "admin"
# Integration accounts for modalities and PACS that send images (STOW-RS) but may not read them.
MODALITY = "modality"

# Annotators get no archive permission: they see de-identified copies of the images of the cases
# they are given (annotations.add_label), never the archive. Reviewers adjudicate
# (annotations.add_reviewdecision) and see agreement; admins edit the label schema and the queue
# settings, export and import.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    RADIOLOGIST: [
        "archive.view_instance",
        "triage.view_worklistentry",
        "triage.change_worklistentry",
    ],
    ANNOTATOR: ["annotations.add_label", "annotations.view_labelschema"],
    REVIEWER: [
        "archive.view_instance",
        "triage.view_worklistentry",
        "annotations.view_labelschema",
        "annotations.view_label",
        "annotations.add_reviewdecision",
    ],
    ADMIN: [
        "archive.view_instance",
        "triage.view_worklistentry",
        "ml.view_modelversion",
        "ml.change_modelversion",
        "archive.add_instance",
        "archive.delete_instance",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "accounts.view_apitoken",
        "accounts.change_apitoken",  # revoke, in the admin
        "annotations.view_labelschema",
        "annotations.add_labelschema",
        "annotations.view_label",
        "annotations.change_label",  # import of labels (annotations/apis/exports.py)
        "annotations.change_queuesettings",
        "annotations.view_reviewdecision",
        "audit.view_auditevent",  # the audit log (audit/apis.py)
        # The DICOM devices the listener admits (archive/admin.py, manage.py dicom_devices).
        "archive.view_dicomdevice",
        "archive.add_dicomdevice",
        "archive.change_dicomdevice",
        "archive.delete_dicomdevice",
    ],
    MODALITY: ["archive.add_instance"],
}
ROLES = tuple(ROLE_PERMISSIONS)


def roles_ensure(**_: Any) -> None:
    """Create the role groups and give each exactly its permissions. Safe to run repeatedly."""
    for role, perm_names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for name in perm_names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)
