"""UIDs replaced consistently: the same original UID always gives the same new one.

A new UID is "2.25." followed by 128 bits of HMAC-SHA256(key, original) read as a decimal
integer (PS3.5 B.2, UUID-derived UIDs): at most 44 characters, as unique as the hash, and
without the key nobody can go back from a served UID to the archive's.
"""

from __future__ import annotations

import hashlib
import hmac

from pydicom.uid import UID_dictionary

DICOM_ROOT = "1.2.840.10008."  # UIDs the standard itself defines: SOP classes, syntaxes, codes


def uid_remap(uid: str, *, key: bytes) -> str:
    """The UID `uid` becomes for whoever is served de-identified data under `key`."""
    clean = uid.strip("\x00 ")
    if not clean:
        return clean
    digest = hmac.new(key, clean.encode("ascii", "replace"), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def is_registered_uid(uid: str) -> bool:
    """Whether `uid` is defined by the standard (a class, a transfer syntax, a coding scheme),
    so it names no patient, study or device and is kept as it is."""
    clean = uid.strip("\x00 ")
    return clean in UID_dictionary or clean.startswith(DICOM_ROOT)
