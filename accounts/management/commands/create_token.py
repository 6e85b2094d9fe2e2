"""manage.py create_token NAME [--name …] [--rotate]: issue an API token and print it, once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user (DICOMweb and API clients) and print it. It is stored "
        "as a digest only: copy it now, it cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'CT 2'")
        parser.add_argument(
            "--rotate", action="store_true", help="revoke the user's other tokens first"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            token = token_issue(username=opts["username"], rotate=opts["rotate"], name=opts["name"])
        except User.DoesNotExist as exc:
            raise CommandError(f"no user named {opts['username']!r}") from exc
        self.stdout.write(token)
