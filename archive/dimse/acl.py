"""Association control: our called AE title, known devices from their host, rights per context.

pynetdicom negotiates an association after EVT_REQUESTED; answering A-ASSOCIATE-RJ there keeps
unknown peers from ever reaching a service. An admitted device is offered only the presentation
contexts its rights allow for C-MOVE and C-GET, so a device that may not retrieve is refused at
negotiation; C-STORE and C-FIND rights are checked per request (status 0x0124 Not Authorised).
Every refusal is logged (AE titles and address, no patient data) and audited as a Security
Alert / Node Authentication with outcome 4.
"""

from __future__ import annotations

import logging
import threading
import weakref

from django.db import DatabaseError, close_old_connections, connection
from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)

from archive.services.devices import Admission, device_admit
from audit.services import audit_record
from audit.services import device as device_object

logger = logging.getLogger(__name__)

NOT_AUTHORISED = 0x0124  # PS3.7 C.5.? general status: Refused, Not Authorised
# A-ASSOCIATE-RJ: rejected permanent, by the service user, with these reasons.
REJECTED_PERMANENT = 0x01
REJECTED_TRANSIENT = 0x02
NO_REASON_GIVEN = 0x01
SERVICE_USER = 0x01
CALLING_AE_NOT_RECOGNISED = 0x03
CALLED_AE_NOT_RECOGNISED = 0x07
RETRIEVE_CONTEXTS = {
    str(uid)
    for uid in (
        PatientRootQueryRetrieveInformationModelMove,
        StudyRootQueryRetrieveInformationModelMove,
        PatientRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelGet,
    )
}


class AssociationControl:
    """Admits or rejects each association and remembers, per association, as which device."""

    def __init__(self) -> None:
        self._admissions: weakref.WeakKeyDictionary[Association, Admission] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def handlers(self) -> list[EventHandlerType]:
        return [(evt.EVT_REQUESTED, self.on_requested)]

    def admission(self, assoc: Association) -> Admission:
        """The admission of an accepted association (refused when it is unknown)."""
        with self._lock:
            return self._admissions.get(assoc) or Admission(None, refused="not admitted")

    def on_requested(self, event: Event) -> None:
        assoc = event.assoc
        request = assoc.requestor.primitive
        if request is None:  # never: EVT_REQUESTED fires once the A-ASSOCIATE-RQ is in
            return
        called = str(request.called_ae_title).strip()
        calling = str(request.calling_ae_title).strip()
        if called != str(assoc.ae.ae_title).strip():
            _reject(assoc, calling, called, CALLED_AE_NOT_RECOGNISED, "called AE title not ours")
            return
        close_old_connections()
        try:
            admission = device_admit(ae_title=calling, address=assoc.requestor.address)
        except DatabaseError as exc:  # who is calling cannot be known now: try again later
            logger.error(
                "association_rejected calling_ae=%s reason=device_lookup_failed error=%s",
                calling,
                type(exc).__name__,
            )
            assoc.acse.send_reject(REJECTED_TRANSIENT, SERVICE_USER, NO_REASON_GIVEN)
            connection.close()
            assoc.kill()
            return
        if admission.refused:
            _reject(assoc, calling, called, CALLING_AE_NOT_RECOGNISED, admission.refused)
            return
        if not admission.may("may_retrieve"):
            assoc.acceptor.supported_contexts = [
                cx
                for cx in assoc.acceptor.supported_contexts
                if str(cx.abstract_syntax) not in RETRIEVE_CONTEXTS
            ]
        with self._lock:
            self._admissions[assoc] = admission


def _reject(assoc: Association, calling: str, called: str, diagnostic: int, reason: str) -> None:
    address = assoc.requestor.address
    logger.warning(
        "association_rejected calling_ae=%s called_ae=%s peer=%s reason=%s",
        calling,
        called,
        address,
        reason.replace(" ", "_"),
    )
    assoc.acse.send_reject(REJECTED_PERMANENT, SERVICE_USER, diagnostic)
    try:
        audit_record(
            event="security_alert",
            event_type="node_authentication",
            action="E",
            outcome=4,
            peer=f"{calling}@{address}",
            source=address,
            objects=[device_object(calling, address, called_ae_title=called)],
            description=f"association rejected: {reason}",
        )
    finally:
        connection.close()  # this association's thread ends here
        assoc.kill()


def refusal_audit(*, assoc: Association, operation: str) -> None:
    """Audit and log a request refused because the device lacks the right for it."""
    calling = str(assoc.requestor.ae_title).strip()
    address = assoc.requestor.address
    logger.warning(
        "dimse_request_refused calling_ae=%s peer=%s operation=%s", calling, address, operation
    )
    audit_record(
        event="security_alert",
        event_type="use_of_restricted_function",
        action="E",
        outcome=4,
        peer=f"{calling}@{address}",
        source=address,
        objects=[device_object(calling, address)],
        description=f"{operation} not authorised for this device",
    )
