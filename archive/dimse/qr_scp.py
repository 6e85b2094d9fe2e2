"""The Query/Retrieve SCP: C-FIND, C-MOVE and C-GET handlers for both information models.

Each request is checked against the calling device's rights, audited once (query keys, or the
studies sent and where) before any answer leaves, and answered with failure statuses, never an
exception, when its identifier cannot be understood. Handlers run in the association's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.db import close_old_connections
from pydicom.dataset import Dataset
from pynetdicom import evt
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from archive.dimse.acl import NOT_AUTHORISED, AssociationControl, refusal_audit
from archive.dimse.query import (
    UNABLE_TO_PROCESS,
    Identifier,
    IdentifierError,
    find_matches,
    identifier_parse,
)
from archive.dimse.retrieve import (
    Match,
    instance_dataset,
    retrieve_matches,
    storage_contexts,
    study_counts,
)
from archive.services.devices import move_destination
from audit.services import audit_record, query, study_objects
from audit.services import device as device_object

logger = logging.getLogger(__name__)

PENDING = 0xFF00
CANCEL = 0xFE00
SUCCESS = 0x0000
# A sub-operation whose instance could not be read: pynetdicom counts a pending result whose
# data set is not a Dataset as a failed sub-operation and goes on with the next.
FAILED_SUBOPERATION = "unreadable"


def status_of(code: int, comment: str) -> Dataset:
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment.replace("\\", "/")[:64]
    return status


class QueryRetrieveScp:
    """C-FIND, C-MOVE and C-GET for the devices `control` admitted."""

    def __init__(self, control: AssociationControl) -> None:
        self._control = control

    def handlers(self) -> list[EventHandlerType]:
        return [
            (evt.EVT_C_FIND, self.on_find),
            (evt.EVT_C_MOVE, self.on_move),
            (evt.EVT_C_GET, self.on_get),
        ]

    # --- C-FIND ----------------------------------------------------------------------------
    def on_find(self, event: Event) -> Iterator[tuple[Any, Dataset | None]]:
        assoc = event.assoc
        if not self._control.admission(assoc).may("may_query"):
            refusal_audit(assoc=assoc, operation="C-FIND")
            yield status_of(NOT_AUTHORISED, "This device may not query the archive"), None
            return
        close_old_connections()
        try:
            identifier = _identifier(event)
            _audit_query(event, identifier)
            answers = 0
            for answer in find_matches(identifier):
                if event.is_cancelled:
                    yield CANCEL, None
                    return
                answers += 1
                yield PENDING, answer
        except IdentifierError as exc:
            logger.info("c_find_refused calling_ae=%s status=%#06x", _calling(event), exc.status)
            yield status_of(exc.status, exc.comment), None
            return
        finally:
            close_old_connections()
        logger.info("c_find_done calling_ae=%s answers=%d", _calling(event), answers)
        yield SUCCESS, None

    # --- C-MOVE ----------------------------------------------------------------------------
    def on_move(self, event: Event) -> Iterator[Any]:
        assoc = event.assoc
        destination_ae = str(event.move_destination or "").strip()
        close_old_connections()
        destination = move_destination(ae_title=destination_ae) if destination_ae else None
        if destination is None or not self._control.admission(assoc).may("may_retrieve"):
            logger.warning(
                "c_move_destination_unknown calling_ae=%s destination_ae=%s",
                _calling(event),
                destination_ae,
            )
            _audit_unknown_destination(event, destination_ae)
            yield None, None  # pynetdicom answers 0xA801 Move Destination Unknown
            return
        matches, failure = _matches(event)
        accepted: list[PresentationContext] = []

        def remember_contexts(accepted_event: Event) -> None:
            accepted.extend(accepted_event.assoc.accepted_contexts)

        yield (
            destination.host,
            destination.port,
            {
                "contexts": storage_contexts(matches) or [build_context(Verification)],
                "evt_handlers": [(evt.EVT_ACCEPTED, remember_contexts)],
            },
        )
        if failure is not None:
            yield 1
            yield failure, None
            return
        _audit_transfer(event, matches, destination=destination_ae, host=destination.host)
        yield len(matches)
        yield from _send(event, matches, lambda: accepted)

    # --- C-GET -----------------------------------------------------------------------------
    def on_get(self, event: Event) -> Iterator[Any]:
        close_old_connections()
        matches, failure = _matches(event)
        if failure is not None:
            yield 1
            yield failure, None
            return
        _audit_transfer(event, matches, destination="", host="")
        yield len(matches)
        yield from _send(event, matches, lambda: event.assoc.accepted_contexts)


def _identifier(event: Event) -> Identifier:
    try:
        dataset = event.identifier
    except Exception as exc:  # the peer's bytes do not decode; answer instead of crashing
        raise IdentifierError(UNABLE_TO_PROCESS, "The identifier cannot be decoded") from exc
    return identifier_parse(dataset, sop_class=str(event.request.AffectedSOPClassUID))


def _matches(event: Event) -> tuple[list[Match], Dataset | None]:
    try:
        return retrieve_matches(_identifier(event)), None
    except IdentifierError as exc:
        logger.info("retrieve_refused calling_ae=%s status=%#06x", _calling(event), exc.status)
        return [], status_of(exc.status, exc.comment)


def _send(
    event: Event, matches: list[Match], accepted: Callable[[], list[PresentationContext]]
) -> Iterator[tuple[int, Any]]:
    failed = 0
    for match in matches:
        if event.is_cancelled:
            yield CANCEL, None
            return
        try:
            dataset: Any = instance_dataset(match, accepted())
        except Exception:  # unreadable file or undecodable pixels: that one fails, go on
            failed += 1
            logger.exception("retrieve_instance_unreadable calling_ae=%s", _calling(event))
            dataset = FAILED_SUBOPERATION
        yield PENDING, dataset
    logger.info(
        "retrieve_done calling_ae=%s instances=%d unreadable=%d",
        _calling(event),
        len(matches),
        failed,
    )


def _calling(event: Event) -> str:
    return str(event.assoc.requestor.ae_title).strip()


def _peer(event: Event) -> tuple[str, str]:
    address = str(event.assoc.requestor.address)
    return f"{_calling(event)}@{address}", address


def _audit_query(event: Event, identifier: Identifier) -> None:
    peer, address = _peer(event)
    keys = "&".join(f"{k}={v}" for k, v in sorted(identifier.params.items()))
    audit_record(
        event="query",
        action="E",
        peer=peer,
        source=address,
        objects=[
            query(
                keys or "(all)",
                level=identifier.qr_level,
                sop_class=str(event.request.AffectedSOPClassUID),
            )
        ],
        description=f"C-FIND {identifier.qr_level}",
    )


def _audit_transfer(event: Event, matches: list[Match], *, destination: str, host: str) -> None:
    peer, address = _peer(event)
    objects = []
    if destination:
        objects.append(device_object(destination, host, role="destination"))
    for uid, count in study_counts(matches).items():
        objects.extend(study_objects(uid, instances=count))
    operation = "C-MOVE" if destination else "C-GET"
    audit_record(
        event="instances_transferred",
        action="R",
        peer=peer,
        source=address,
        objects=objects,
        description=f"{operation} of {len(matches)} instances"
        + (f" to {destination}" if destination else ""),
    )


def _audit_unknown_destination(event: Event, destination: str) -> None:
    peer, address = _peer(event)
    audit_record(
        event="instances_transferred",
        action="R",
        outcome=4,
        peer=peer,
        source=address,
        objects=[device_object(destination or "(none)", role="destination")],
        description="C-MOVE refused: destination unknown",
    )
