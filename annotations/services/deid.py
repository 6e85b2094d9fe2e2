"""The de-identified image of an annotation case, as annotators are served it.

Who may see it: the annotator holding a slot of the case (locked or submitted), reviewers and
admins; for anyone else the case does not exist (404, never 403, so a guessed pseudonym says
nothing). What they see: the stored instance's header with the Basic Profile applied
(annotations/deid), UIDs replaced under a key derived from SECRET_KEY, Patient Name and ID the
case pseudonym. Pixel data is served as stored, by archive's frame reading.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import pydicom
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.core.files.storage import default_storage
from pydicom.dataset import Dataset

from accounts.permissions import user_has_perm
from annotations.deid import DeidOptions, deidentify
from annotations.deid.basic_profile import BASIC_PROFILE, BEYOND_PROFILE, EDITION
from annotations.models import AnnotationCase, CaseSlot
from archive.dicom.dicom_json import dataset_to_json
from archive.dicom.stored_pixels import frame_encoding
from config.errors import NotFound

logger = logging.getLogger(__name__)

# Reviewers adjudicate and admins manage every case: they may open any case's image.
SEE_ANY_CASE = ("annotations.add_reviewdecision", "annotations.change_queuesettings")
HELD = (CaseSlot.Status.LOCKED, CaseSlot.Status.SUBMITTED)
# Binary values (LUTs and the like; pixel data is not read) go inline: the annotator's client
# has no bulk data resource to fetch them from.
INLINE_BINARY_UP_TO = 64 * 1024 * 1024
# A served header is the same for a case until the stored file, the profile or the UID key
# changes, and all three are in its cache key: an hour bounds what a stale cache would hold.
METADATA_CACHE_SECONDS = 60 * 60
PROFILE_FINGERPRINT = hashlib.sha256(
    repr((EDITION, sorted((BASIC_PROFILE | BEYOND_PROFILE).items()))).encode()
).hexdigest()


def deid_uid_key() -> bytes:
    """The key UIDs are replaced under: derived from SECRET_KEY, so it is secret and stable
    (a new SECRET_KEY gives every served UID a new value)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"annotations.deid.uid-remap", hashlib.sha256
    ).digest()


def case_for_viewer(*, pseudonym: str, user: AbstractBaseUser | AnonymousUser) -> AnnotationCase:
    """The case `pseudonym` with its instance, if `user` may see its image; else NotFound.

    Read-only; the same answer for a case that does not exist and one that is not the user's.
    """
    case = AnnotationCase.objects.select_related("instance").filter(pseudonym=pseudonym).first()
    if case is not None and _may_see(case, user):
        return case
    raise NotFound(f"No case {pseudonym[:40]!r} among yours")


def _may_see(case: AnnotationCase, user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if any(user_has_perm(user, perm) for perm in SEE_ANY_CASE):
        return True
    return CaseSlot.objects.filter(case=case, annotator_id=user.pk, status__in=HELD).exists()


def case_dataset(*, case: AnnotationCase) -> Dataset:
    """The case's stored instance header (no pixel data), de-identified for the case."""
    with default_storage.open(str(case.instance.file.name), "rb") as fp:
        ds = pydicom.dcmread(fp, stop_before_pixels=True)
    ds.buffer = None  # the storage file is closed: nothing to copy along with the header
    options = DeidOptions(pseudonym=case.pseudonym, uid_key=deid_uid_key())
    return deidentify(ds, options=options)


def case_metadata(*, case: AnnotationCase) -> dict[str, Any]:
    """DICOM JSON (PS3.18 F.2) of the de-identified header; pixel data is left out (frames
    are fetched from the case's frames resource), the transfer syntax is the frames' own.

    Built once per (instance, pseudonym) and kept in Django's cache: reading the file and
    de-identifying a copy of it is most of a request's time, and the viewer asks again on every
    opening. Only the de-identified body is stored, under a key without identifiers.
    """
    key = _metadata_cache_key(case)
    body: dict[str, Any] | None = cache.get(key)
    if body is None:
        body = _metadata_build(case)
        cache.set(key, body, METADATA_CACHE_SECONDS)
    logger.info("deid_metadata_served case=%s", case.pseudonym)
    return body


def _metadata_cache_key(case: AnnotationCase) -> str:
    """A digest of what the body depends on: the instance (its id and file hash), the case's
    pseudonym, the profile and the UID key; hashed, so no UID or file name appears in it."""
    parts = (
        str(case.instance_id),
        case.instance.sha256,
        case.pseudonym,
        PROFILE_FINGERPRINT,
        hashlib.sha256(deid_uid_key()).hexdigest(),
    )
    return "annotations:deid-metadata:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _metadata_build(case: AnnotationCase) -> dict[str, Any]:
    body = dataset_to_json(
        case_dataset(case=case),
        bulk_data_threshold=INLINE_BINARY_UP_TO,
        bulk_data_element_handler=_no_bulk_data,
    )
    syntax = frame_encoding(case.instance.transfer_syntax_uid).transfer_syntax_uid
    body["00020010"] = {"vr": "UI", "Value": [syntax]}
    return body


def _no_bulk_data(element: Any) -> str:
    raise ValueError("de-identified metadata carries no bulk data URIs")
