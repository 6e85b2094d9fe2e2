"""Audit log URLs under /api/ (admins only; read-only)."""

from __future__ import annotations

from django.urls import path

from audit.apis import AuditEventCsvApi, AuditEventListApi, AuditVocabularyApi

urlpatterns = [
    path("audit/events", AuditEventListApi.as_view(), name="audit-events"),
    path("audit/events.csv", AuditEventCsvApi.as_view(), name="audit-events-csv"),
    path("audit/vocabulary", AuditVocabularyApi.as_view(), name="audit-vocabulary"),
]
