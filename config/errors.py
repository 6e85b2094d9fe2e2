"""Domain errors raised by services and mapped to HTTP responses in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the caller can understand; `status` and `code` say how the API answers it.

    `transient` tells tasks whether retrying may help.
    """

    status = 400
    code = "invalid"
    transient = False

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
