"""Every route of the URL configuration is audited or deliberately not, with a reason: a route
added later without a decision fails here."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver

from audit.catalog import CATALOG, NOT_AUDITED, not_audited_reason, route_key
from audit.vocabulary import ACTIONS, EVENTS


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _routes(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield route_key(pattern.name, namespace, prefix + str(pattern.pattern))


def test_every_route_is_audited_or_has_a_reason_not_to_be():
    undecided = [
        key for key in _routes(get_resolver()) if key not in CATALOG and not not_audited_reason(key)
    ]
    assert undecided == [], "add these routes to audit/catalog.py CATALOG or NOT_AUDITED"


def test_no_route_is_both_audited_and_not():
    assert set(CATALOG) & set(NOT_AUDITED) == set()


def test_the_catalog_uses_only_the_vocabulary():
    for entry in CATALOG.values():
        for audited in entry.values() if isinstance(entry, dict) else [entry]:
            assert audited.event in EVENTS
            assert audited.action is None or audited.action in ACTIONS


def test_patient_data_routes_are_audited():
    for key in [
        "worklist",
        "worklist-entry",
        "dicomweb:studies",
        "dicomweb:study-metadata",
        "dicomweb:instance",
        "dicomweb:instance-frames",
        "dicomweb:instance-rendered",
        "dicomweb:instance-thumbnail",
        "route:read/<str:study_uid>",
        "annotate-case-labels",
        "annotate-export",
        "review-decision",
        "audit-events",
    ]:
        assert key in CATALOG, key
