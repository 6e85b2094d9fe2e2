"""Triage: scoring studies, priority, the worklist, claims and reads (issue 3 onwards)."""
