"""Send mutants through the archive's two doors and check what it says against what it keeps.

STOW-RS: one multipart request per batch; an instance is acknowledged when it is in
ReferencedSOPSequence. C-STORE: one association per batch, each file streamed as it is; an
instance is acknowledged by a Success status. Every acknowledged instance must come back from
WADO-RS byte for byte (C-STORE: its data set, behind the File Meta the listener writes).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import requests
from pydicom.filereader import _read_file_meta_info, read_preamble

from tests.archive.dicomweb_helpers import multipart_parts
from tests.archive.stow_helpers import multipart_body

# transfer-syntax=*: the stored bytes, which the round trip compares (the default is decoded).
DICOM_PART = 'multipart/related; type="application/dicom"; transfer-syntax=*'
# The archive's own failure (PS3.4 0x0110): a fault, like a 5xx, not a refusal of the input.
PROCESSING_FAILURE = 0x0110


@dataclass
class Tally:
    """What a fuzz run saw, door by door."""

    sent: Counter[str] = field(default_factory=Counter)
    acknowledged: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # by reason category
    server_errors: list[str] = field(default_factory=list)  # 5xx, crashed listener
    lost: list[str] = field(default_factory=list)  # acknowledged, not retrievable as sent
    not_sent: int = 0  # a C-STORE client cannot even propose it (no usable File Meta)

    def refuse(self, reason: str) -> None:
        self.refused[reason_category(reason)] += 1

    def summary(self) -> str:
        lines = [
            f"sent {dict(self.sent)}, acknowledged {dict(self.acknowledged)}, "
            f"refused {sum(self.refused.values())}, 5xx or processing failures "
            f"{len(self.server_errors)}, lost {len(self.lost)}, not sendable {self.not_sent}"
        ]
        lines += [f"  refused {n:6d}  {reason}" for reason, n in self.refused.most_common()]
        return "\n".join(lines)


def reason_category(reason: str) -> str:
    """A refusal's reason without its particulars (tags, numbers, UIDs), to count by kind."""
    words = []
    for word in reason.replace(":", " ").split()[:7]:
        if any(ch.isdigit() for ch in word) or word.startswith(("'", '"', "(")):
            word = "…"
        words.append(word)
    return " ".join(words)


def stow_batch(session: requests.Session, root: str, mutants: list[bytes], tally: Tally) -> None:
    """POST the mutants as one STOW-RS request; check every acknowledged one comes back."""
    body, content_type = multipart_body(mutants)
    tally.sent["stow"] += len(mutants)
    response = session.post(
        f"{root}/studies",
        data=body,
        headers={"Content-Type": content_type, "Accept": "application/dicom+json"},
        timeout=300,
    )
    if response.status_code >= 500 or not response.content:
        tally.server_errors.append(f"STOW-RS {response.status_code}: {response.text[:300]}")
        return
    answer = response.json()
    for item in answer.get("00081198", {}).get("Value", []):
        reason = item.get("00000902", {}).get("Value", [""])[0]
        if item.get("00081197", {}).get("Value", [0])[0] == PROCESSING_FAILURE:
            tally.server_errors.append(f"STOW-RS processing failure: {reason}")
        else:
            tally.refuse(reason)
    by_uid = _by_sop_instance_uid(mutants)
    for item in answer.get("00081199", {}).get("Value", []):
        uid = item["00081155"]["Value"][0]
        tally.acknowledged["stow"] += 1
        url = item["00081190"]["Value"][0]
        if retrieved(session, url) != by_uid.get(uid):
            tally.lost.append(f"STOW-RS acknowledged {uid}; WADO-RS does not return it as sent")


def cstore_batch(
    session: requests.Session,
    root: str,
    port: int,
    ae_title: str,
    mutants: list[bytes],
    tally: Tally,
) -> None:
    """Send the mutants over one association, each file's data set exactly as it is."""
    from pynetdicom import AE

    proposable = [(m, _context_of(m)) for m in mutants]
    sendable = [(m, c) for m, c in proposable if c is not None]
    tally.not_sent += len(mutants) - len(sendable)
    if not sendable:
        return
    from archive.models import DicomDevice

    # The listener admits known devices only.
    DicomDevice.objects.get_or_create(ae_title="FUZZSCU", defaults={"may_store": True})
    ae = AE(ae_title="FUZZSCU")
    for context in sorted({c for _, c in sendable})[:120]:
        ae.add_requested_context(*context)
    assoc = ae.associate("127.0.0.1", port, ae_title=ae_title)
    if not assoc.is_established:
        tally.server_errors.append("C-STORE: the listener refused or dropped the association")
        return
    try:
        with chunked_sending():
            for mutant, _ in sendable:
                _cstore_one(session, root, assoc, mutant, tally)
    finally:
        if assoc.is_established:
            assoc.release()


@contextmanager
def chunked_sending() -> Iterator[None]:
    """Make pynetdicom stream each file's data set as it is: no decoding, no re-encoding."""
    from pynetdicom import _config

    before = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    try:
        yield
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = before


def _cstore_one(session: requests.Session, root: str, assoc, mutant: bytes, tally: Tally) -> None:  # type: ignore[no-untyped-def]
    with tempfile.NamedTemporaryFile(suffix=".dcm") as file:
        file.write(mutant)
        file.flush()
        try:
            status = assoc.send_c_store(Path(file.name))
        except (ValueError, AttributeError, KeyError, TypeError, EOFError):
            tally.not_sent += 1  # pynetdicom cannot read the File Meta it needs to send it
            return
    tally.sent["c-store"] += 1
    if not assoc.is_established:
        tally.server_errors.append("C-STORE: the association ended mid-send")
        return
    code = int(status.get("Status", -1)) if status else -1
    if code == 0x0000:
        tally.acknowledged["c-store"] += 1
        _check_cstored(session, root, mutant, tally)
    elif code in (PROCESSING_FAILURE, -1):
        tally.server_errors.append(f"C-STORE status {code:#06x}: {status.get('ErrorComment', '')}")
    else:
        tally.refuse(str(status.get("ErrorComment", "")))


def _check_cstored(session: requests.Session, root: str, mutant: bytes, tally: Tally) -> None:
    uid = _sop_instance_uid(mutant)
    found = (
        session.get(f"{root}/instances", params={"SOPInstanceUID": uid}, timeout=60).json()
        if uid
        else []
    )
    urls = [item["00081190"]["Value"][0] for item in found if "00081190" in item]
    stored = retrieved(session, urls[0]) if urls else None
    if stored is None or dataset_bytes(stored) != dataset_bytes(mutant):
        tally.lost.append(f"C-STORE acknowledged {uid}; WADO-RS does not return it as sent")


def retrieved(session: requests.Session, url: str) -> bytes | None:
    response = session.get(url, headers={"Accept": DICOM_PART}, timeout=120)
    if response.status_code != 200:
        return None
    parts = multipart_parts(response)
    return parts[0][1] if len(parts) == 1 else None


def dataset_bytes(part10: bytes) -> bytes:
    """Everything after the File Meta group (what C-STORE carries)."""
    fp = io.BytesIO(part10)
    read_preamble(fp, False)
    _read_file_meta_info(fp)
    return part10[fp.tell() :]


def _context_of(mutant: bytes) -> tuple[str, str] | None:
    """(SOP Class, Transfer Syntax) from the File Meta, when both are UIDs pynetdicom accepts."""
    try:
        fp = io.BytesIO(mutant)
        read_preamble(fp, False)
        meta = _read_file_meta_info(fp)
        sop_class = str(meta.MediaStorageSOPClassUID)
        syntax = pydicom.uid.UID(str(meta.TransferSyntaxUID))
    except Exception:
        return None
    if not sop_class or not syntax.is_valid or not pydicom.uid.UID(sop_class).is_valid:
        return None
    if syntax.is_private or not syntax.is_transfer_syntax:
        return None
    return sop_class, str(syntax)


def _sop_instance_uid(mutant: bytes) -> str | None:
    try:
        ds = pydicom.dcmread(io.BytesIO(mutant), stop_before_pixels=True)
        return str(ds.SOPInstanceUID)
    except Exception:
        return None


def _by_sop_instance_uid(mutants: list[bytes]) -> dict[str, bytes]:
    """Each mutant's bytes by its SOP Instance UID (the first one sent wins a collision)."""
    found: dict[str, bytes] = {}
    for mutant in mutants:
        uid = _sop_instance_uid(mutant)
        if uid is not None:
            found.setdefault(uid, mutant)
    return found


def orphans(storage_root: Path, indexed: set[str]) -> list[str]:
    """Stored files with no index row, and index rows with no file."""
    on_disk = set()
    for folder, _, names in os.walk(storage_root / "dicom"):
        on_disk |= {os.path.relpath(Path(folder, n), storage_root) for n in names}
    problems = [f"file without a row: {name}" for name in sorted(on_disk - indexed)]
    return problems + [f"row without a file: {name}" for name in sorted(indexed - on_disk)]


def temp_files(temp_dir: Path) -> set[str]:
    """Spooled uploads and received data sets waiting in the temporary folder."""
    return {p.name for p in temp_dir.iterdir()} if temp_dir.exists() else set()
