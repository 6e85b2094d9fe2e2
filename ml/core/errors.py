"""Errors that ml/core raises for callers to handle (the Django side maps them to domain errors)."""

from __future__ import annotations


class ModelLoadError(Exception):
    """A stored model is missing or unreadable; `message` says which file and why.

    Permanent for that file: retrying the load will not help, re-training or re-uploading will.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
