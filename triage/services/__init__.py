"""Triage services: the worklist (placement, open, read) and scoring (request, score, sweep)."""
