"""Known DICOM devices: creating, changing and removing them (audited), and admitting a caller.

The listener admits an association only from an enabled device whose AE title is the calling
AE title and, when the device names a host, whose peer address is that host's. What the device
may then do (store, query, retrieve, be a move destination) is checked per operation.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from archive.models import DicomDevice
from audit.services import audit_record
from audit.services import device as device_object
from config.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

FIELDS = (
    "host",
    "port",
    "description",
    "enabled",
    "may_store",
    "may_query",
    "may_retrieve",
    "is_move_destination",
)


class DeviceInvalid(DomainError):
    code = "device_invalid"


def device_create(*, ae_title: str, user: Any = None, **values: Any) -> DicomDevice:
    """Register a device (values: any of FIELDS). Raises DeviceInvalid; audited."""
    _check_fields(values)
    device = DicomDevice(ae_title=ae_title, **values)
    with transaction.atomic():
        _save(device)
        _audit(device, action="C", user=user, changed=sorted(values))
    return device


def device_update(*, ae_title: str, user: Any = None, **values: Any) -> DicomDevice:
    """Change a device's fields (values: any of FIELDS). Raises NotFound, DeviceInvalid; audited."""
    _check_fields(values)
    with transaction.atomic():
        device = _get_for_update(ae_title)
        for name, value in values.items():
            setattr(device, name, value)
        _save(device)
        _audit(device, action="U", user=user, changed=sorted(values))
    return device


def device_delete(*, ae_title: str, user: Any = None) -> None:
    """Remove a device; its associations are refused from then on. Raises NotFound; audited."""
    with transaction.atomic():
        device = _get_for_update(ae_title)
        _audit(device, action="D", user=user, changed=[])
        device.delete()


def device_changed_audit(
    *, device: DicomDevice, action: str, user: Any, changed: list[str]
) -> None:
    """Audit a change made elsewhere (the Django admin saves through its own forms)."""
    _audit(device, action=action, user=user, changed=changed)


def _check_fields(values: dict[str, Any]) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown device fields: {', '.join(sorted(unknown))}")


def _get_for_update(ae_title: str) -> DicomDevice:
    device = DicomDevice.objects.select_for_update().filter(ae_title=ae_title.strip()).first()
    if device is None:
        raise NotFound(f"No DICOM device with AE title {ae_title.strip()!r}")
    return device


def _save(device: DicomDevice) -> None:
    try:
        device.full_clean()
    except ValidationError as exc:
        messages = [
            f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in exc.message_dict.items()
        ]
        raise DeviceInvalid("; ".join(messages), {"fields": exc.message_dict}) from None
    device.save()


def _audit(device: DicomDevice, *, action: str, user: Any, changed: list[str]) -> None:
    audit_record(
        event="security_alert",
        event_type="network_configuration",
        action=action,
        user=user,
        objects=[device_object(device.ae_title, device.host, changed=changed)],
        description=f"DICOM device {device.ae_title} {_VERBS[action]}",
    )


_VERBS = {"C": "added", "U": "changed", "D": "removed"}


# --- admitting a caller -----------------------------------------------------------------------
@dataclass(frozen=True)
class Admission:
    """What the listener decided about a calling AE title: the device (None when refused, or
    when DICOM_ACCEPT_UNKNOWN_CALLERS let an unknown caller in) and, when refused, why."""

    device: DicomDevice | None
    refused: str = ""

    def may(self, right: str) -> bool:
        if self.refused:
            return False
        if self.device is None:  # an unknown caller let in by DICOM_ACCEPT_UNKNOWN_CALLERS
            return right in ("may_store", "may_query", "may_retrieve")
        return bool(getattr(self.device, right))


def device_admit(*, ae_title: str, address: str) -> Admission:
    """Whether `ae_title` calling from `address` may associate, and as which device."""
    device = DicomDevice.objects.filter(ae_title=ae_title.strip()).first()
    if device is None:
        if settings.DICOM_ACCEPT_UNKNOWN_CALLERS:
            return Admission(None)
        return Admission(None, refused="unknown calling AE title")
    if not device.enabled:
        return Admission(None, refused="device disabled")
    if device.host and not host_matches(device.host, address):
        return Admission(None, refused="calling AE title from another host")
    return Admission(device)


def host_matches(host: str, address: str) -> bool:
    """Whether `address` (the peer's IP) is `host`, an IP address or a name resolved now."""
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    try:
        return ipaddress.ip_address(host) == peer
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        logger.warning("dicom_device_host_unresolved host=%s", host)
        return False
    return any(ipaddress.ip_address(str(info[4][0]).split("%")[0]) == peer for info in infos)


def move_destination(*, ae_title: str) -> DicomDevice | None:
    """The enabled move destination with this AE title, or None."""
    return (
        DicomDevice.objects.filter(
            ae_title=ae_title.strip(), enabled=True, is_move_destination=True
        )
        .exclude(host="")
        .exclude(port=None)
        .first()
    )
