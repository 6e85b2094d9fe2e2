"""manage.py dicom_devices list|add|update|remove: the DICOM devices the listener admits."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.models import DicomDevice
from archive.services.devices import device_create, device_delete, device_update
from config.errors import DomainError

RIGHTS = {
    "store": "may_store",
    "query": "may_query",
    "retrieve": "may_retrieve",
    "move-destination": "is_move_destination",
}


class Command(BaseCommand):
    help = (
        "List, add, update or remove the DICOM devices (AE titles) the listener admits. A device "
        "may store (C-STORE), query (C-FIND), retrieve (C-MOVE, C-GET) and be a C-MOVE "
        "destination (needs --host and --port). Every change is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="list the devices")
        for name in ("add", "update"):
            sub = actions.add_parser(name, help=f"{name} a device")
            sub.add_argument("ae_title")
            sub.add_argument("--host", help="IP address or name it connects from (empty: any)")
            sub.add_argument("--port", type=int, help="its listening port (move destinations)")
            sub.add_argument("--description")
            sub.add_argument("--enabled", action=argparse.BooleanOptionalAction, default=None)
            for right in RIGHTS:
                sub.add_argument(
                    f"--{right}",
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=f"may {right.replace('-', ' be a ')}",
                )
        remove = actions.add_parser("remove", help="remove a device")
        remove.add_argument("ae_title")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "list":
                self._list()
            elif action == "remove":
                device_delete(ae_title=options["ae_title"])
                self.stdout.write(f"Removed {options['ae_title'].strip()}")
            else:
                values = _values(options)
                service = device_create if action == "add" else device_update
                device = service(ae_title=options["ae_title"], **values)
                self.stdout.write(f"{'Added' if action == 'add' else 'Updated'} {_line(device)}")
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _list(self) -> None:
        devices = list(DicomDevice.objects.all())
        if not devices:
            self.stdout.write("No DICOM devices: the listener refuses every calling AE title.")
        for device in devices:
            self.stdout.write(_line(device))


def _values(options: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("host", "port", "description", "enabled"):
        if options[name] is not None:
            values[name] = options[name]
    for right, field in RIGHTS.items():
        value = options[right.replace("-", "_")]
        if value is not None:
            values[field] = value
    return values


def _line(device: DicomDevice) -> str:
    rights = [right for right, field in RIGHTS.items() if getattr(device, field)]
    where = f"{device.host or 'any host'}" + (f":{device.port}" if device.port else "")
    state = "" if device.enabled else " (disabled)"
    return f"{device.ae_title:<16} {where:<28} {','.join(rights) or 'echo only'}{state}"
