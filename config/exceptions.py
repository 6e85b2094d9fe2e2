"""The DRF exception handler: domain errors and Django's errors become clear JSON answers.

Input no check caught before the database still gets a 4xx: a body over Django's limit is a
413, and a value PostgreSQL refuses (too long for its column, out of range, a NUL) a 400.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError
from config.middleware import too_large_message

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=exc.status)
    if isinstance(exc, ValidationError):
        return Response({"detail": exc.messages, "code": "invalid"}, status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": too_large_message(), "code": "too_large"}, status=413)
    if isinstance(exc, DataError):
        view = type(context.get("view")).__name__
        logger.warning("api_data_error view=%s", view)
        return Response(
            {
                "detail": "A value in the request cannot be stored: too long, out of range, "
                "or holding a NUL character.",
                "code": "invalid",
            },
            status=400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        view = type(context.get("view")).__name__
        logger.exception("unhandled_api_error view=%s", view)
        return Response(
            {"detail": "Internal error; it has been logged.", "code": "server_error"},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return response
