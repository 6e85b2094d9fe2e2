"""Apply the Basic Profile (annotations/deid/basic_profile.py) to a pydicom data set.

What each action becomes here, where the table leaves a choice (PS3.15 E.3.1): any choice that
allows Z empties the attribute (it stays present, so Type 2 attributes stay valid); X/D removes;
D puts a dummy ("ANONYMIZED" for text, 1900-01-01 for dates and times, a replaced UID for a UID,
an empty sequence for a sequence); U replaces each UID
through uids.uid_remap; X/Z/U* keeps the sequence and cleans its items, so the UIDs inside are
replaced. Every sequence item is cleaned the same way, to any depth.

By rule, as the profile asks: private attributes, curves (50xx) and overlays (60xx: their
comments and bitmaps can carry text) are removed. Beyond the table, as a net for attributes
newer than its edition: the Retain Longitudinal Temporal Information option is not used, so any
date, time or date-time left is emptied; any person name left is emptied; and any UID the
standard does not define (it could name a study, a device or a site) is replaced.
What basic_profile.BEYOND_PROFILE names is treated as the table's rows are.
Patient Name and Patient ID become the case's pseudonym. Pixel data is not touched: text burned
into the pixels stays (README, "De-identification").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from annotations.deid.basic_profile import BASIC_PROFILE, BEYOND_PROFILE
from annotations.deid.uids import is_registered_uid, uid_remap

REMOVE, EMPTY, DUMMY, REPLACE_UID, CLEAN = "remove", "empty", "dummy", "replace_uid", "clean"
EFFECTIVE = {
    "D": DUMMY,
    "Z": EMPTY,
    "Z/D": EMPTY,
    "X/Z": EMPTY,
    "X/Z/D": EMPTY,
    "X": REMOVE,
    "X/D": REMOVE,
    "U": REPLACE_UID,
    "X/Z/U*": CLEAN,
    "K": CLEAN,
}
ACTIONS: dict[int, str] = {
    int(tag_for_keyword(keyword) or 0): EFFECTIVE[action]
    for keyword, action in (BASIC_PROFILE | BEYOND_PROFILE).items()
}
TEMPORAL_VRS = {"DA", "DT", "TM"}
DUMMY_NAME = "ANONYMIZED"
# D asks for a non-empty value of the attribute's VR: dates and times get one that dates nothing.
DUMMY_TEMPORAL = {"DA": "19000101", "TM": "000000", "DT": "19000101000000"}
METHOD = "Basic Application Confidentiality Profile (PS3.15 E.1)"
METHOD_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")
# File meta elements that name the sending or receiving site, or carry private data.
FILE_META_REMOVED = {
    "SourceApplicationEntityTitle",
    "SendingApplicationEntityTitle",
    "ReceivingApplicationEntityTitle",
    "SourcePresentationAddress",
    "SendingPresentationAddress",
    "ReceivingPresentationAddress",
    "PrivateInformationCreatorUID",
    "PrivateInformation",
}


@dataclass(frozen=True)
class DeidOptions:
    """Who the data set is de-identified for: the case pseudonym it carries as Patient Name and
    Patient ID, and the key its UIDs are replaced under (the same key, the same UIDs)."""

    pseudonym: str
    uid_key: bytes


def deidentify(ds: Dataset, *, options: DeidOptions) -> Dataset:
    """A de-identified copy of `ds` (the original is untouched); pixel data kept as it is."""
    out = copy.deepcopy(ds)
    _clean(out, options.uid_key)
    meta = getattr(out, "file_meta", None)
    if meta is not None:
        out.file_meta = _clean_file_meta(meta, options.uid_key)
    _mark(out, options.pseudonym)
    return out


def action_for(tag: int) -> str | None:
    """What the profile does with the attribute `tag`; None: not named, so kept (and netted)."""
    group = tag >> 16
    if group % 2:  # private groups, creators included (E.3.10)
        return REMOVE
    if group & 0xFF00 in (0x5000, 0x6000):  # curves, overlays (repeating groups)
        return REMOVE
    return ACTIONS.get(tag)


def _clean(ds: Dataset, key: bytes) -> None:
    for tag in list(ds.keys()):
        action = action_for(int(tag))
        if action == REMOVE:
            del ds[tag]
            continue
        element = ds[tag]
        if action == EMPTY:
            element.value = Sequence() if element.VR == "SQ" else element.empty_value
        elif action == DUMMY:
            _dummy(element, key)
        elif action == REPLACE_UID:
            _replace_uids(element, key, keep_registered=False)
        elif element.VR == "SQ":
            for item in element.value:
                _clean(item, key)
        else:
            _net(element, key)


def _dummy(element: DataElement, key: bytes) -> None:
    """A value that says nothing: a text, a date of 1900, a replaced UID (a Type 1 UID such as
    Annotation Group UID must stay unique); sequences and binary or numeric values are emptied."""
    if element.VR == "SQ":
        element.value = Sequence()
    elif element.VR in ("PN", "LO", "SH", "LT", "ST", "UT", "UC"):
        element.value = DUMMY_NAME
    elif element.VR in DUMMY_TEMPORAL and element.value not in (None, ""):
        element.value = DUMMY_TEMPORAL[element.VR]
    elif element.VR == "UI":
        _replace_uids(element, key, keep_registered=False)
    else:
        element.value = element.empty_value


def _net(element: DataElement, key: bytes) -> None:
    """Attributes the table does not name: dates, times and names emptied, UIDs replaced."""
    if element.VR in TEMPORAL_VRS or element.VR == "PN":
        element.value = element.empty_value
    elif element.VR == "UI":
        _replace_uids(element, key, keep_registered=True)


def _replace_uids(element: DataElement, key: bytes, *, keep_registered: bool) -> None:
    if element.VR != "UI" or element.value in (None, ""):
        if element.VR != "UI":
            element.value = element.empty_value  # not a UID where one was expected
        return

    def one(uid: Any) -> str:
        text = str(uid)
        return text if keep_registered and is_registered_uid(text) else uid_remap(text, key=key)

    value = element.value
    if isinstance(value, MultiValue | list):
        element.value = [one(v) for v in value]
    else:
        element.value = one(value)


def _clean_file_meta(meta: FileMetaDataset, key: bytes) -> FileMetaDataset:
    for keyword in FILE_META_REMOVED:
        if keyword in meta:
            delattr(meta, keyword)
    for element in meta:
        if element.VR == "UI" and element.keyword != "TransferSyntaxUID":
            _replace_uids(
                element, key, keep_registered=element.keyword != "MediaStorageSOPInstanceUID"
            )
    return meta


def _mark(ds: Dataset, pseudonym: str) -> None:
    """Patient identity is the pseudonym, and the data set says how it was de-identified."""
    ds.PatientName = pseudonym
    ds.PatientID = pseudonym
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = METHOD_CODE
    ds.DeidentificationMethodCodeSequence = [code]
    ds.LongitudinalTemporalInformationModified = "REMOVED"
