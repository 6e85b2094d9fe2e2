"""C-MOVE and C-GET: the instances an identifier names, read from storage and sent as stored.

The identifier names what to retrieve by unique keys (PS3.4 C.4.2.1.4): Patient ID, Study,
Series or SOP Instance UIDs (lists allowed) down to its level. Each instance goes in its stored
transfer syntax when the receiver accepted it; when the receiver accepted only uncompressed
syntaxes for that SOP class, compressed pixel data is decompressed (pydicom with pylibjpeg) and
sent as Explicit VR Little Endian (pynetdicom converts to Implicit VR when that was accepted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pydicom
from django.core.files.storage import default_storage
from django.http import QueryDict
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.presentation import PresentationContext, build_context

from archive.dicomweb.errors import BadQuery
from archive.dicomweb.qido_query import qido_query_parse
from archive.dimse.query import (
    IDENTIFIER_DOES_NOT_MATCH,
    UNABLE_TO_PROCESS,
    UNIQUE_KEYS,
    Identifier,
    IdentifierError,
)
from archive.selectors import qido_search

MAX_SUBOPERATIONS = 65535  # Number of ... Sub-operations are US
MAX_CONTEXTS = 128
UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
ROWS = [
    "file",
    "sop_class_uid",
    "sop_instance_uid",
    "transfer_syntax_uid",
    "series__study__study_instance_uid",
]


@dataclass(frozen=True)
class Match:
    file: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    study_uid: str


def retrieve_matches(identifier: Identifier) -> list[Match]:
    """The instances an identifier names, in study, series and instance order.

    Raises IdentifierError when it names nothing by its level's unique key, or too much.
    """
    keys = list(UNIQUE_KEYS.values())
    depth = keys.index(UNIQUE_KEYS[identifier.qr_level])
    params = QueryDict(mutable=True)
    for keyword in keys[: depth + 1]:
        if identifier.key(keyword):
            params[keyword] = identifier.key(keyword)
    if not identifier.key(UNIQUE_KEYS[identifier.qr_level]):
        raise IdentifierError(
            IDENTIFIER_DOES_NOT_MATCH,
            f"{identifier.qr_level} retrieve needs {UNIQUE_KEYS[identifier.qr_level]}",
        )
    if any(c in v for v in params.values() for c in "*?"):
        raise IdentifierError(IDENTIFIER_DOES_NOT_MATCH, "Retrieve keys take no wildcards")
    try:
        query = qido_query_parse(params, level="instance")
    except BadQuery as exc:
        raise IdentifierError(UNABLE_TO_PROCESS, exc.message) from None
    query.limit = MAX_SUBOPERATIONS + 1
    rows = qido_search(query=query, fields=ROWS)
    if len(rows) > MAX_SUBOPERATIONS:
        raise IdentifierError(UNABLE_TO_PROCESS, f"More than {MAX_SUBOPERATIONS} instances")
    return [
        Match(
            row["file"],
            row["sop_class_uid"],
            row["sop_instance_uid"],
            row["transfer_syntax_uid"],
            row["series__study__study_instance_uid"],
        )
        for row in rows
    ]


def storage_contexts(matches: Iterable[Match]) -> list[PresentationContext]:
    """Presentation contexts to propose to a move destination: per SOP class and stored syntax,
    the stored syntax first, then Explicit and Implicit VR Little Endian."""
    pairs = sorted({(m.sop_class_uid, m.transfer_syntax_uid) for m in matches})
    if len(pairs) > MAX_CONTEXTS:  # too many to offer each: uncompressed only, per SOP class
        pairs = sorted({(sop_class, str(ExplicitVRLittleEndian)) for sop_class, _ in pairs})
    contexts = []
    for sop_class, syntax in pairs[:MAX_CONTEXTS]:
        syntaxes = [syntax] + [str(ts) for ts in UNCOMPRESSED if str(ts) != syntax]
        contexts.append(build_context(sop_class, syntaxes))
    return contexts


def instance_dataset(match: Match, accepted: list[PresentationContext]) -> Dataset:
    """The stored instance, as stored when `accepted` takes its syntax, else decompressed.

    Raises OSError or pydicom's errors when the file cannot be read or decoded (the caller
    counts that sub-operation as failed).
    """
    with default_storage.open(match.file, "rb") as fp:
        dataset = pydicom.dcmread(fp)
    dataset.file_meta.TransferSyntaxUID = UID(match.transfer_syntax_uid)
    syntaxes = {
        str(cx.transfer_syntax[0])
        for cx in accepted
        if str(cx.abstract_syntax) == match.sop_class_uid and cx.transfer_syntax
    }
    stored = UID(match.transfer_syntax_uid)
    if match.transfer_syntax_uid in syntaxes or not stored.is_compressed:
        return dataset  # as stored, or uncompressed (pynetdicom converts between those)
    if syntaxes & {str(ts) for ts in UNCOMPRESSED}:
        # A change of transfer syntax keeps the instance (PS3.5 A.4): same SOP Instance UID.
        dataset.decompress(generate_instance_uid=False)
    return dataset


def study_counts(matches: Iterable[Match]) -> dict[str, int]:
    """Instances per study, for the audit row."""
    counts: dict[str, int] = {}
    for match in matches:
        counts[match.study_uid] = counts.get(match.study_uid, 0) + 1
    return counts


__all__: list[Any] = [
    "Match",
    "instance_dataset",
    "retrieve_matches",
    "storage_contexts",
    "study_counts",
]
