"""Clients that store studies through both doors while a fault is injected, and the ledger of what
each instance was answered: acknowledged (STOW-RS ReferencedSOPSequence, C-STORE Success or
Warning), refused (FailedSOPSequence, a C-STORE failure status) or unanswered (a 5xx, a connection
cut, an aborted association: the client cannot know)."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import requests

from tests.faults.studies import FaultStudy, SentInstance

ACKNOWLEDGED, REFUSED, UNANSWERED = "acknowledged", "refused", "unanswered"
STOW, CSTORE = "STOW-RS", "C-STORE"


@dataclass(frozen=True)
class Outcome:
    instance: SentInstance
    door: str
    answer: str  # ACKNOWLEDGED, REFUSED or UNANSWERED
    detail: str  # HTTP or DIMSE status, or the error
    started: float  # time.monotonic() when its request or association began


@dataclass
class Ledger:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcomes: Iterable[Outcome]) -> None:
        with self.lock:
            self.outcomes.extend(outcomes)

    def of(self, answer: str | None = None, door: str | None = None) -> list[Outcome]:
        with self.lock:
            return [
                o
                for o in self.outcomes
                if (answer is None or o.answer == answer) and (door is None or o.door == door)
            ]


def multipart(payloads: list[bytes]) -> tuple[list[bytes], str]:
    """The chunks of a multipart/related body (one per part, then the closing boundary) and its
    Content-Type."""
    boundary = uuid.uuid4().hex
    chunks = [
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + payload + b"\r\n"
        for payload in payloads
    ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return chunks, f'multipart/related; type="application/dicom"; boundary={boundary}'


def stow_answers(
    instances: tuple[SentInstance, ...], response: requests.Response | None, error: str, t: float
) -> list[Outcome]:
    """Each instance's outcome from a STOW-RS response (None: the request got no answer)."""
    acknowledged: set[str] = set()
    refused: set[str] = set()
    detail = error
    if response is not None:
        detail = f"HTTP {response.status_code}"
        if response.status_code in (200, 202, 409):
            body = response.json()
            acknowledged = set(_sequence_uids(body, "00081199"))
            refused = set(_sequence_uids(body, "00081198"))
    outcomes = []
    for instance in instances:
        if instance.sop_uid in acknowledged:
            answer = ACKNOWLEDGED
        elif instance.sop_uid in refused:
            answer = REFUSED
        else:
            answer = UNANSWERED
        outcomes.append(Outcome(instance, STOW, answer, detail, t))
    return outcomes


def _sequence_uids(body: dict, tag: str) -> Iterator[str]:
    for item in body.get(tag, {}).get("Value", []):
        values = item.get("00081155", {}).get("Value", [])
        if values:
            yield values[0]


def stow_send(session: requests.Session, base_url: str, study: FaultStudy) -> list[Outcome]:
    """One STOW-RS request holding the study's instances."""
    chunks, content_type = multipart([i.data for i in study.instances])
    started = time.monotonic()
    try:
        response = session.post(
            f"{base_url}/dicomweb/studies",
            data=b"".join(chunks),
            headers={"Content-Type": content_type, "Accept": "application/dicom+json"},
            timeout=60,
        )
    except requests.RequestException as exc:
        return stow_answers(study.instances, None, type(exc).__name__, started)
    return stow_answers(study.instances, response, "", started)


def cstore_send(
    port: int, ae_title: str, study: FaultStudy, files: dict[str, Path]
) -> list[Outcome]:
    """One association storing the study's instances from their files, data set bytes as they
    are (pynetdicom's chunked sending; the listener stores what it receives)."""
    from pynetdicom import AE, _config

    _config.STORE_SEND_CHUNKED_DATASET = True
    started = time.monotonic()
    ae = AE(ae_title="FAULTSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    for context in _contexts(study):
        ae.add_requested_context(*context)
    assoc = ae.associate("127.0.0.1", port, ae_title=ae_title)
    if not assoc.is_established:
        return [Outcome(i, CSTORE, UNANSWERED, "no association", started) for i in study.instances]
    outcomes = []
    try:
        for instance in study.instances:
            status = assoc.send_c_store(files[instance.sop_uid]) if assoc.is_established else None
            outcomes.append(Outcome(instance, CSTORE, *_cstore_answer(status), started))
    finally:
        if assoc.is_established:
            assoc.release()
    return outcomes


def _contexts(study: FaultStudy) -> set[tuple[str, str]]:
    """(SOP Class, the file's own transfer syntax) of each instance: nothing is converted."""
    contexts = set()
    for instance in study.instances:
        ds = pydicom.dcmread(io.BytesIO(instance.data), stop_before_pixels=True)
        contexts.add((str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)))
    return contexts


def _cstore_answer(status: object) -> tuple[str, str]:
    code = getattr(status, "Status", None)
    if code is None:
        return UNANSWERED, "no response"
    detail = f"0x{code:04X}"
    # Success, and the Warning statuses (0x0001, 0xB000-0xBFFF), mean stored (PS3.4 B.2.3).
    if code == 0x0000 or code == 0x0001 or 0xB000 <= code <= 0xBFFF:
        return ACKNOWLEDGED, detail
    return REFUSED, detail


class Sender(threading.Thread):
    """Sends studies through one door, one request or association per study, recording every
    outcome; pauses before study i for each i in `pauses` until told to go on, so that a test
    can inject its fault between known requests."""

    def __init__(
        self,
        door: str,
        studies: list[FaultStudy],
        ledger: Ledger,
        *,
        send: object,
        pauses: Iterable[int] = (),
    ) -> None:
        super().__init__(name=f"sender-{door}", daemon=True)
        self.door, self.studies, self.ledger, self._send = door, studies, ledger, send
        self.pauses = set(pauses)
        self.paused = threading.Event()
        self._go_on = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for n, study in enumerate(self.studies):
                if n in self.pauses:
                    self.paused.set()
                    if not self._go_on.wait(timeout=120):
                        raise TimeoutError(f"{self.door} sender: never told to go on")
                    self._go_on.clear()
                self.ledger.add(self._send(study))  # type: ignore[operator]
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def go_on(self) -> None:
        self.paused.clear()
        self._go_on.set()

    def finish(self, timeout: float = 120) -> None:
        self.join(timeout)
        if self.is_alive():
            raise AssertionError(f"the {self.door} sender did not finish within {timeout:.0f} s")
        if self.error is not None:
            raise self.error
