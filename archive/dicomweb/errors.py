"""DICOMweb read errors; the API exception handler turns each into a JSON answer with its status."""

from __future__ import annotations

from config.errors import DomainError, NotFound


class BadQuery(DomainError):
    """A QIDO-RS query or a WADO-RS parameter the archive cannot understand."""

    status = 400
    code = "bad_query"


class NotAcceptable(DomainError):
    """The Accept header asks for a representation the archive cannot give without transcoding."""

    status = 406
    code = "not_acceptable"


class Undecodable(DomainError):
    """Stored pixel data cannot be decoded or rendered; the stored bytes are still retrievable."""

    status = 422
    code = "undecodable"


__all__ = ["BadQuery", "NotAcceptable", "NotFound", "Undecodable"]
