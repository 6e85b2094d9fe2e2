"""Writes of the annotations app, by sub-domain (labels first)."""
