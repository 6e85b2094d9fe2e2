"""Worklist priority: when each study is due, and the reasons for its place.

The policy is earliest-deadline-first. Every study gets a due time when it is placed:

    due_at = arrived_at + allowed_wait
    allowed_wait = max_wait[clinical class] * (1 - ai_weight * urgency ** ai_exponent)

and the worklist is sorted by ``due_at`` (ties by arrival). ``urgency`` is the model's calibrated
probability of the urgent finding (None when there is no AI score: pending, not applicable, no
active model), and the clinical class is STAT, ASAP or ROUTINE, from the request's DICOM priority
or a site rule on its descriptions.

Why this shape:

- A flag alone does not shorten waits; the queue itself has to be reordered, and the order has to
  be a function of urgency, clinical class and waiting time. Every waiting study ages at the same
  rate, so sorting by the stored ``due_at`` is sorting by ``allowed_wait - waiting_time``: the
  order stays right as time passes without recomputing anything, and the server sorts a large
  worklist on one indexed column.
- Max-wait guard. Pure priority sorting lets the model's false negatives wait far longer than
  first-in-first-out. Here an overdue study (now > due_at) outranks every study not yet due, so
  a study the AI calls negative still rises: a later study overtakes it only if it arrives
  within the difference of their allowed waits (at most ROUTINE's max wait), and nothing that
  arrives after it is overdue does.
- Explainability. ``place`` returns short sentences for each factor (clinical class and its
  source, the AI's contribution or why there is none), stored with the worklist entry and shown
  to users; ``waiting_reasons`` adds the time-dependent ones when the worklist is read.
- Without AI (no active model, score pending, modality not covered) the allowed wait is the
  class's maximum: first in, first out within the clinical class, and the reasons say so.

Defaults (tuned with ``python -m bench.triage_simulation``: one reader, 5 min per study, loads
0.85-0.95 of capacity over 12 h shifts, the first model's calibrated scores on its internal test
split, and synthetic AUC 0.95 scores as a harder case): STAT 15 min, ASAP 30 min, ROUTINE 40 min,
``ai_weight`` 0.9, ``ai_exponent`` 3. The max waits are ranking windows, not service promises:
under sustained overload every class runs late, and the guard decides who goes first. The
trade-off is the width of the window the AI may jump, ``ai_weight * max_wait`` (36 min for
ROUTINE): every positive that jumps delays the negatives it passes. On a 25%-positive stream
with the model's scores, ROUTINE 40 min brings the positives' mean wait to 0.38-0.46 of FIFO's
while the longest wait of any study stays within 0-8% of FIFO's; a typical shift's worst grows
by 16-23%, of which the clinical classes alone cost about 10%. ROUTINE 60 min gives positives
0.31-0.34 but the worst study 5-13% over FIFO; 30 min keeps the worst within 4% but positives
only reach 0.45-0.53. A window of hours would starve negatives whenever a queue forms. The cube
on urgency keeps lukewarm scores from jumping far (0.5 -> 11% off the wait) while near-certain
ones do (0.95 -> 77% off). A weight below 1 keeps STAT before ROUTINE at equal arrival and
equal urgency; a near-certain AI finding in a routine study (4 min) does precede a STAT request
without one (15 min). Where most studies are positive (74%, PneumoniaMNIST) no reordering can
halve the positives' wait at every load; the benchmark prints that bound.

Pure Python (no Django) so the worklist services, the settings and the benchmark share it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class ClinicalPriority(StrEnum):
    """Clinical priority carried by the request, most urgent first."""

    STAT = "STAT"
    ASAP = "ASAP"
    ROUTINE = "ROUTINE"

    @property
    def rank(self) -> int:
        """0 for the most urgent class."""
        return list(ClinicalPriority).index(self)


@dataclass(frozen=True)
class SiteRule:
    """A site's rule: a case-insensitive regex on one DICOM attribute gives a clinical class."""

    keyword: str
    pattern: str
    priority: ClinicalPriority
    name: str

    def __post_init__(self) -> None:
        if not self.keyword or not self.name:
            raise ValueError("a site rule needs a DICOM keyword and a name")
        try:
            re.compile(self.pattern)
        except re.error as error:
            raise ValueError(f"site rule {self.name!r}: invalid pattern: {error}") from error
        object.__setattr__(self, "priority", ClinicalPriority(self.priority))

    def matches(self, value: str | None) -> bool:
        return bool(value) and re.search(self.pattern, value or "", re.IGNORECASE) is not None


# DICOM attributes that carry a request's priority, checked in this order, with the class each
# value means. Values outside the defined terms are ignored (site rules can catch them).
DICOM_PRIORITY_SOURCES: tuple[tuple[str, str, Mapping[str, ClinicalPriority]], ...] = (
    (
        # (0040,1003), Modality Worklist / requested procedure: defined terms.
        "RequestedProcedurePriority",
        "Requested Procedure Priority",
        {
            "STAT": ClinicalPriority.STAT,
            "HIGH": ClinicalPriority.ASAP,
            "ROUTINE": ClinicalPriority.ROUTINE,
            "MEDIUM": ClinicalPriority.ROUTINE,
            "LOW": ClinicalPriority.ROUTINE,
        },
    ),
    (
        # (0074,1200), Unified Procedure Step: PS3.3 C.30.2 says HIGH "is equivalent to a STAT
        # request" and LOW is routine; MEDIUM sits between and stays routine.
        "ScheduledProcedureStepPriority",
        "Scheduled Procedure Step Priority",
        {
            "HIGH": ClinicalPriority.STAT,
            "MEDIUM": ClinicalPriority.ROUTINE,
            "LOW": ClinicalPriority.ROUTINE,
        },
    ),
    (
        # (0040,1009), the requested reporting priority: HIGH, ROUTINE, MEDIUM, LOW.
        "ReportingPriority",
        "Reporting Priority",
        {
            "HIGH": ClinicalPriority.ASAP,
            "ROUTINE": ClinicalPriority.ROUTINE,
            "MEDIUM": ClinicalPriority.ROUTINE,
            "LOW": ClinicalPriority.ROUTINE,
        },
    ),
)

# Words that technologists and schedulers put in descriptions when the order's priority field is
# empty. Sites replace these through settings; whole words only ("STATUS" is not "STAT").
_STAT_WORDS = r"\b(STAT|URGENT|TRAUMA)\b"
_ASAP_WORDS = r"\bASAP\b"
DEFAULT_SITE_RULES: tuple[SiteRule, ...] = tuple(
    SiteRule(keyword, pattern, priority, name)
    for pattern, priority, name in (
        (_STAT_WORDS, ClinicalPriority.STAT, "STAT, URGENT or TRAUMA in the description"),
        (_ASAP_WORDS, ClinicalPriority.ASAP, "ASAP in the description"),
    )
    for keyword in ("StudyDescription", "RequestedProcedureDescription")
)

NO_PRIORITY_REASON = "routine (no priority in the request)"


def clinical_priority_from_dicom(
    values: Mapping[str, str | None], rules: Sequence[SiteRule]
) -> tuple[ClinicalPriority, str]:
    """The request's clinical class and where it comes from, e.g. "STAT from Reporting Priority".

    ``values`` maps DICOM keywords to their string values (missing or None: absent). The DICOM
    priority attributes and then ``rules`` are all checked; the most urgent class found wins (the
    first source at equal class). Nothing found: ROUTINE, "routine (no priority in the request)".
    """
    found: list[tuple[ClinicalPriority, str]] = []
    for keyword, label, mapping in DICOM_PRIORITY_SOURCES:
        value = (values.get(keyword) or "").strip().upper()
        if value in mapping:
            found.append((mapping[value], f"{mapping[value]} from {label}"))
    for rule in rules:
        if rule.matches(values.get(rule.keyword)):
            label = _keyword_label(rule.keyword)
            found.append((rule.priority, f"{rule.priority} by site rule '{rule.name}' ({label})"))
    if not found:
        return ClinicalPriority.ROUTINE, NO_PRIORITY_REASON
    return min(found, key=lambda item: item[0].rank)


def _keyword_label(keyword: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", keyword)


MAX_WAIT_LIMIT_MINUTES = 7 * 24 * 60  # a week: anything longer is a typo, not a policy


def _default_max_wait() -> dict[ClinicalPriority, timedelta]:
    return {
        ClinicalPriority.STAT: timedelta(minutes=15),
        ClinicalPriority.ASAP: timedelta(minutes=30),
        ClinicalPriority.ROUTINE: timedelta(minutes=40),
    }


@dataclass(frozen=True)
class PriorityPolicy:
    """How long each class may wait, and how far a calibrated urgency shortens that wait.

    ``allowed_wait = max_wait[class] * (1 - ai_weight * urgency ** ai_exponent)``. Raises
    ValueError on a missing class, a non-positive wait, a class allowed to wait longer than a
    less urgent one, ``ai_weight`` outside [0, 1] or a non-positive ``ai_exponent``.
    """

    max_wait: Mapping[ClinicalPriority, timedelta] = field(default_factory=_default_max_wait)
    ai_weight: float = 0.9
    ai_exponent: float = 3.0

    def __post_init__(self) -> None:
        waits = {ClinicalPriority(key): value for key, value in self.max_wait.items()}
        missing = [str(cls) for cls in ClinicalPriority if cls not in waits]
        if missing:
            raise ValueError(f"max_wait has no entry for {', '.join(missing)}")
        for cls in ClinicalPriority:
            if not isinstance(waits[cls], timedelta) or waits[cls] <= timedelta(0):
                raise ValueError(f"max_wait for {cls} must be a positive timedelta")
        ordered = [waits[cls] for cls in ClinicalPriority]
        if ordered != sorted(ordered):
            raise ValueError("max_wait must not allow a more urgent class to wait longer")
        if not _is_number(self.ai_weight) or not 0.0 <= self.ai_weight <= 1.0:
            raise ValueError(f"ai_weight must be between 0 and 1, got {self.ai_weight!r}")
        if not _is_number(self.ai_exponent) or self.ai_exponent <= 0.0:
            raise ValueError(f"ai_exponent must be positive, got {self.ai_exponent!r}")
        object.__setattr__(self, "max_wait", waits)

    def allowed_wait(self, clinical_priority: ClinicalPriority, urgency: float | None) -> timedelta:
        """The class's max wait, shortened by the urgency (None: not shortened)."""
        max_wait = self.max_wait[clinical_priority]
        if urgency is None:
            return max_wait
        return max_wait * (1.0 - self.ai_weight * urgency**self.ai_exponent)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form for settings: waits in minutes."""
        return {
            "max_wait_minutes": {
                str(cls): self.max_wait[cls].total_seconds() / 60 for cls in ClinicalPriority
            },
            "ai_weight": self.ai_weight,
            "ai_exponent": self.ai_exponent,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriorityPolicy:
        """Inverse of ``to_dict``; keys left out (classes too) keep their defaults."""
        if not isinstance(data, Mapping):
            raise ValueError("a priority policy is a mapping of its fields")
        unknown = set(data) - {"max_wait_minutes", "ai_weight", "ai_exponent"}
        if unknown:
            raise ValueError(f"unknown priority policy keys: {', '.join(sorted(unknown))}")
        default = cls()
        minutes = data.get("max_wait_minutes", {})
        if not isinstance(minutes, Mapping):
            raise ValueError("max_wait_minutes must map classes to minutes")
        max_wait = dict(default.max_wait)
        for key, value in minutes.items():
            try:
                cls_key = ClinicalPriority(str(key).upper())
            except ValueError:
                raise ValueError(f"max_wait_minutes: unknown class {key!r}") from None
            if not _is_number(value) or abs(value) > MAX_WAIT_LIMIT_MINUTES:
                raise ValueError(f"max_wait_minutes for {key} must be a number of minutes")
            max_wait[cls_key] = timedelta(minutes=value)
        return cls(
            max_wait=max_wait,
            ai_weight=data.get("ai_weight", default.ai_weight),
            ai_exponent=data.get("ai_exponent", default.ai_exponent),
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Placement:
    """Where a study goes in the worklist: its due time and the reasons for it."""

    due_at: datetime
    allowed_wait: timedelta
    reasons: list[str]
    ai_used: bool


def place(
    *,
    arrived_at: datetime,
    clinical_priority: ClinicalPriority,
    clinical_reason: str,
    urgency: float | None,
    ai_note: str | None,
    policy: PriorityPolicy,
) -> Placement:
    """Due time and reasons for one study; pure, so safe to call again when anything changes.

    ``urgency`` is the calibrated urgency in [0, 1] (ValueError outside), or None when the AI has
    nothing to say; ``ai_note`` says what the AI found or why it is silent ("AI score pending").
    ``ai_used`` is true when an urgency entered the due time (a score, and ``ai_weight`` > 0).
    """
    if urgency is not None and (not _is_number(urgency) or not 0.0 <= urgency <= 1.0):
        raise ValueError(f"urgency must be between 0 and 1, got {urgency!r}")
    clinical_priority = ClinicalPriority(clinical_priority)
    max_wait = policy.max_wait[clinical_priority]
    reasons = [f"Clinical priority {clinical_reason}: max wait {format_duration(max_wait)}"]
    ai_used = urgency is not None and policy.ai_weight > 0
    if urgency is not None and ai_used:
        allowed = policy.allowed_wait(clinical_priority, urgency)
        note = ai_note or f"AI probability {format_probability(urgency)}"
        reasons.append(f"{note}; target wait {format_duration(allowed)}")
    else:
        allowed = max_wait
        if urgency is not None:
            note = "AI ranking off by policy (AI weight 0)"
        else:
            note = ai_note or "No AI score"
        reasons.append(f"{note}; first in, first out within the clinical class")
    return Placement(
        due_at=arrived_at + allowed, allowed_wait=allowed, reasons=reasons, ai_used=ai_used
    )


def waiting_reasons(
    *, placement_due_at: datetime, arrived_at: datetime, now: datetime
) -> list[str]:
    """The time-dependent reasons, computed when the worklist is read."""
    reasons = [f"Waiting {format_duration(max(now - arrived_at, timedelta(0)))}"]
    if now > placement_due_at:
        late = format_duration(now - placement_due_at)
        reasons.append(
            f"Overdue by {late}: the max-wait guard puts it ahead of studies not yet due"
        )
    else:
        reasons.append(f"Due in {format_duration(placement_due_at - now)}")
    return reasons


def format_duration(duration: timedelta) -> str:
    """'45 s', '12 min', '1 h 05 min', '2 d 3 h': whole units, rounded down (a study that has
    waited 14 min 59 s has waited 14 min; one due in 36 min 59 s is due in 36 min). The same rule
    and words as the worklist page's formatDuration (frontend/src/worklist/rowFormat.ts), so the
    server's reasons and the browser's ticking times read alike."""
    whole = max(0, math.floor(duration.total_seconds()))
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def format_probability(probability: float) -> str:
    """'0.42' (two decimals); '>0.99' and '<0.01' at the ends, where two decimals would round
    to a certainty (1.00, 0.00) that the model does not claim. Rounding is monotone, so a
    probability at or above its threshold never reads as below it. The browser writes
    probabilities the same way (frontend/src/worklist/rowFormat.ts, formatProbability)."""
    if probability >= 0.995:
        return ">0.99"
    if probability < 0.005:
        return "<0.01"
    return f"{probability:.2f}"
