"""The site's priority policy and rules, read once from settings (JSON) over the defaults."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from triage.priority import DEFAULT_SITE_RULES, ClinicalPriority, PriorityPolicy, SiteRule


@cache
def priority_policy() -> PriorityPolicy:
    """TRIAGE_PRIORITY_POLICY (a JSON object of PriorityPolicy fields) or the defaults."""
    raw = settings.TRIAGE_PRIORITY_POLICY
    if not raw:
        return PriorityPolicy()
    try:
        return PriorityPolicy.from_dict(json.loads(raw))
    except (ValueError, TypeError, KeyError) as exc:
        raise ImproperlyConfigured(f"TRIAGE_PRIORITY_POLICY is not a valid policy: {exc}") from exc


@cache
def site_rules() -> tuple[SiteRule, ...]:
    """TRIAGE_SITE_RULES (a JSON list of {keyword, pattern, priority, name}) or the defaults."""
    raw = settings.TRIAGE_SITE_RULES
    if not raw:
        return tuple(DEFAULT_SITE_RULES)
    try:
        return tuple(
            SiteRule(
                keyword=rule["keyword"],
                pattern=rule["pattern"],
                priority=ClinicalPriority(rule["priority"].upper()),
                name=rule.get("name", rule["pattern"]),
            )
            for rule in json.loads(raw)
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImproperlyConfigured(f"TRIAGE_SITE_RULES is not a list of rules: {exc}") from exc
