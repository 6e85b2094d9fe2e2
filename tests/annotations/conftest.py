"""The triage fixtures the label tests need: a small model registered as the active version."""

from tests.triage.conftest import active_model, small_model_file  # noqa: F401
