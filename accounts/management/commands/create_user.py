"""manage.py create_user NAME --role radiologist [--password …] [--token]."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ROLES
from accounts.services import PasswordRejected, token_issue, user_create


class Command(BaseCommand):
    help = "Create or update a user in one or more roles; optionally print an API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=ROLES, required=True)
        parser.add_argument("--password", help="omit to be prompted; --no-password for API only")
        parser.add_argument("--no-password", action="store_true")
        parser.add_argument("--email", default="")
        parser.add_argument("--token", action="store_true", help="also print an API token")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"]
        if password is None and not opts["no_password"]:
            password = getpass.getpass(f"Password for {opts['username']}: ")
        try:
            user = user_create(
                username=opts["username"],
                password=password,
                roles=opts["role"],
                email=opts["email"],
            )
        except (ValueError, PasswordRejected) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"user {user.username} roles={','.join(opts['role'])}")
        if opts["token"]:
            self.stdout.write(token_issue(username=user.username))
