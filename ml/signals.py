"""Events of the model registry for other apps (triage re-scores waiting studies)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with `task` and `version_id` when a version becomes its task's active one.
model_activated = Signal()
