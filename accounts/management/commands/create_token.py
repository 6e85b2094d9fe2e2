"""manage.py create_token NAME [--rotate]: print the user's API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import token_issue


class Command(BaseCommand):
    help = "Print a user's API token (for DICOMweb and API clients), creating it if needed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace the existing token")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            self.stdout.write(token_issue(username=opts["username"], rotate=opts["rotate"]))
        except User.DoesNotExist as exc:
            raise CommandError(f"no user named {opts['username']!r}") from exc
