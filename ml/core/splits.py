"""The fixed train / validation / test split of archive images, by a hash of the patient.

Every image of one patient (or, without a patient id, of one study) falls in the same split in
every retraining round, so no patient straddles training and testing and the test set of one
round is the test set of the next. Pure: no Django, no TensorFlow.

Rule (also stored in each run's lineage, `SPLIT_RULE`): the key is "patient:<issuer>/<id>"
when the study has a Patient ID, else "study:<StudyInstanceUID>"; b = int(sha256(SALT + key)
[:8], big-endian) % 10000; train when b < 7000, validation when b < 8500, test otherwise.
The seed data (PneumoniaMNIST, no patient ids) keeps its own rule (ml.core.data.SPLIT_RULE).
"""

from __future__ import annotations

import hashlib
from typing import Literal

SplitName = Literal["train", "validation", "test"]

# Changing the salt or the bounds reshuffles every archive image: never change them for a task
# that has versions (its test set would no longer be the one earlier versions were scored on).
SALT = "imaging-triage/split/v1:"
TRAIN_BELOW = 7000
VALIDATION_BELOW = 8500
SPLIT_RULE = (
    "archive images: key = 'patient:<issuer>/<patient id>', or 'study:<StudyInstanceUID>' "
    "when the study has no patient id; b = int(sha256('imaging-triage/split/v1:' + key)[:8], "
    "big-endian) % 10000; train b < 7000 (70%), validation b < 8500 (15%), test otherwise (15%)"
)


def split_key(*, patient_id: str, issuer: str, study_instance_uid: str) -> str:
    """The key an image is split by: its patient, or its study when there is no patient id."""
    if patient_id.strip():
        return f"patient:{issuer.strip()}/{patient_id.strip()}"
    if not study_instance_uid:
        raise ValueError("an image needs a patient id or a study instance UID to be split")
    return f"study:{study_instance_uid}"


def split_bucket(key: str) -> int:
    """0..9999, uniform over keys and fixed for ever (see SPLIT_RULE)."""
    digest = hashlib.sha256((SALT + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def split_of(key: str) -> SplitName:
    """ "train", "validation" or "test" for a split key (see split_key)."""
    bucket = split_bucket(key)
    if bucket < TRAIN_BELOW:
        return "train"
    if bucket < VALIDATION_BELOW:
        return "validation"
    return "test"
