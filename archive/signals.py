"""Events the archive emits for other apps (triage scores a study when it becomes stable)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per transition to stable, after commit, with `study_id`. A study that receives more
# instances later becomes receiving again and is announced again when it settles.
study_stable = Signal()
