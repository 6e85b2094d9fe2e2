"""Annotation: label schema, tasks and queue, annotations, review and agreement."""
