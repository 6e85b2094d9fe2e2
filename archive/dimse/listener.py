"""The DICOM listener: C-ECHO, the C-STORE SCP and the Query/Retrieve SCP, for known devices.

The C-STORE SCP takes every storage SOP class in every transfer syntax, stored as received.

Each received data set is written, bytes untouched, behind a fresh File Meta header into a
temporary Part 10 file, then handed to the one ingest service, which moves it into storage.
pynetdicom runs each association in its own thread, so each has its own database connection;
it is checked before and after each instance and closed when the association ends.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from pydicom.dataset import Dataset
from pydicom.filewriter import write_file_meta_info
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.association import Association
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from pynetdicom.transport import ThreadedAssociationServer

from archive.dicom.failures import OUT_OF_RESOURCES, PROCESSING_FAILURE, InstanceRefused
from archive.dimse.acl import NOT_AUTHORISED, AssociationControl, refusal_audit
from archive.dimse.qr_scp import QueryRetrieveScp
from archive.services.ingest import instance_ingest
from audit.services import audit_record, study_objects

logger = logging.getLogger(__name__)

SUCCESS = 0x0000
QUERY_RETRIEVE_MODELS = (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelMove,
    PatientRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelGet,
)
ERROR_COMMENT_MAX = 64  # Error Comment (0000,0902) is LO


@dataclass
class AssociationStats:
    calling_ae: str
    started: float = field(default_factory=time.monotonic)
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    not_authorised: int = 0
    address: str = ""
    studies: dict[str, int] = field(default_factory=dict)  # instances received per study


class StorageScp:
    """Event handlers for one listener, with per-association counts for the log."""

    def __init__(self, control: AssociationControl) -> None:
        self._control = control
        self._stats: weakref.WeakKeyDictionary[Association, AssociationStats] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def handlers(self) -> list[EventHandlerType]:
        return [
            (evt.EVT_ACCEPTED, self.on_accepted),
            (evt.EVT_C_STORE, self.on_store),
            (evt.EVT_RELEASED, self.on_ended),
            (evt.EVT_ABORTED, self.on_ended),
        ]

    def on_accepted(self, event: Event) -> None:
        stats = self._stats_for(event.assoc)
        logger.info(
            "association_accepted calling_ae=%s peer=%s:%s",
            stats.calling_ae,
            event.assoc.requestor.address,
            event.assoc.requestor.port,
        )

    def on_store(self, event: Event) -> int | Dataset:
        """Store one instance; answer Success, or the refusal's failure code and reason."""
        stats = self._stats_for(event.assoc)
        if not self._control.admission(event.assoc).may("may_store"):
            stats.not_authorised += 1
            if stats.not_authorised == 1:  # one audit row per association, not per instance
                refusal_audit(assoc=event.assoc, operation="C-STORE")
            return _failure(NOT_AUTHORISED, "This device may not store to the archive")
        close_old_connections()
        path = None
        try:
            path = _write_part10(event, calling_ae=stats.calling_ae)
            with open(path, "rb") as fp:
                result = instance_ingest(fp=fp, source="c-store", movable_path=path)
        except InstanceRefused as exc:
            stats.refused += 1
            logger.info(
                "instance_refused source=c-store calling_ae=%s code=%#06x",
                stats.calling_ae,
                exc.failure_code,
            )
            return _failure(exc.failure_code, exc.reason)
        except Exception:  # the sender needs an answer and the association goes on
            stats.failed += 1
            logger.exception(
                "instance_ingest_failed source=c-store calling_ae=%s", stats.calling_ae
            )
            return _failure(PROCESSING_FAILURE, "The archive failed to store this instance")
        finally:
            if path is not None and os.path.exists(path):
                os.unlink(path)
            close_old_connections()
        uid = result.study_instance_uid
        stats.studies[uid] = stats.studies.get(uid, 0) + 1
        if result.created:
            stats.stored += 1
        else:
            stats.duplicates += 1
        return SUCCESS

    def on_ended(self, event: Event) -> None:
        with self._lock:
            stats = self._stats.pop(event.assoc, None)
        if stats is not None and stats.studies:
            _audit_received(stats)
        # Released and aborted fire in the association's own thread: close its connection.
        connection.close()
        if stats is None:
            return
        logger.info(
            "association_%s calling_ae=%s stored=%d duplicates=%d refused=%d failed=%d "
            "seconds=%.2f",
            "released" if event.event is evt.EVT_RELEASED else "aborted",
            stats.calling_ae,
            stats.stored,
            stats.duplicates,
            stats.refused,
            stats.failed,
            time.monotonic() - stats.started,
        )

    def _stats_for(self, assoc: Association) -> AssociationStats:
        with self._lock:
            stats = self._stats.get(assoc)
            if stats is None:
                stats = AssociationStats(
                    calling_ae=str(assoc.requestor.ae_title).strip(),
                    address=str(assoc.requestor.address),
                )
                self._stats[assoc] = stats
            return stats


def _audit_received(stats: AssociationStats) -> None:
    """One audit row per association: the studies (and their patients) received, with counts."""
    objects = []
    for uid, count in stats.studies.items():
        objects.extend(study_objects(uid, instances=count))
    try:
        audit_record(
            event="instances_transferred",
            action="C",
            peer=f"{stats.calling_ae}@{stats.address}",
            source=stats.address,
            objects=objects,
            description=f"C-STORE received {stats.stored} new and {stats.duplicates} "
            f"duplicate instances",
        )
    except Exception:  # the instances are stored already; the failure is logged by audit
        logger.exception("c_store_audit_failed calling_ae=%s", stats.calling_ae)


def _write_part10(event: Event, *, calling_ae: str) -> str:
    """Write preamble, File Meta and the data set exactly as received to a temporary file."""
    meta = event.file_meta
    if calling_ae:
        meta.SourceApplicationEntityTitle = calling_ae
    fd, path = tempfile.mkstemp(suffix=".dcm", dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(b"\x00" * 128 + b"DICM")
            write_file_meta_info(out, meta, enforce_standard=True)  # type: ignore[arg-type]
            out.write(event.encoded_dataset(include_meta=False))
    except OSError as exc:
        os.unlink(path)
        raise InstanceRefused(
            f"The archive could not write the received data set: {exc.strerror or exc}",
            failure_code=OUT_OF_RESOURCES,
        ) from exc
    return path


def _failure(code: int, reason: str) -> Dataset:
    status = Dataset()
    status.Status = code
    # A backslash separates values in an LO, and a reason may quote one (repr of '\n').
    status.ErrorComment = reason.replace("\\", "/")[:ERROR_COMMENT_MAX]
    return status


def listener_ae(*, ae_title: str | None = None) -> AE:
    """An AE accepting Verification, every storage SOP class in every transfer syntax (as SCP,
    and as SCU for C-GET: the requestor may take the SCP role), and Query/Retrieve."""
    ae = AE(ae_title=ae_title or settings.DICOM_AE_TITLE)
    ae.maximum_associations = settings.DICOM_MAX_ASSOCIATIONS
    ae.require_called_aet = True
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(
            str(context.abstract_syntax), ALL_TRANSFER_SYNTAXES, scu_role=True, scp_role=True
        )
    for model in QUERY_RETRIEVE_MODELS:
        ae.add_supported_context(model, ALL_TRANSFER_SYNTAXES)
    return ae


def listener_start(
    *, port: int | None = None, bind_address: str | None = None, ae_title: str | None = None
) -> ThreadedAssociationServer:
    """Start listening in background threads; returns the server for `listener_stop`."""
    ae = listener_ae(ae_title=ae_title)
    address = (bind_address or settings.DICOM_BIND_ADDRESS, port or settings.DICOM_PORT)
    control = AssociationControl()
    handlers = [
        *control.handlers(),
        *StorageScp(control).handlers(),
        *QueryRetrieveScp(control).handlers(),
    ]
    server = ae.start_server(address, block=False, evt_handlers=handlers)
    assert server is not None  # never None when block=False
    logger.info(
        "dicom_listener_started ae_title=%s address=%s port=%s", ae.ae_title, *server.server_address
    )
    return server  # type: ignore[return-value]


def listener_stop(server: ThreadedAssociationServer, *, grace_seconds: float = 30.0) -> None:
    """Stop accepting associations, let open ones finish for `grace_seconds`, abort the rest."""
    server.shutdown()
    active = server.active_associations
    deadline = time.monotonic() + grace_seconds
    for assoc in active:
        assoc.join(max(0.0, deadline - time.monotonic()))
        if assoc.is_alive():
            assoc.abort()
    logger.info("dicom_listener_stopped open_associations=%d", len(active))
