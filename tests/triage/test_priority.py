"""Worklist priority (triage.priority): due times, their order, reasons, policy, DICOM classes."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from triage.priority import (
    DEFAULT_SITE_RULES,
    ClinicalPriority,
    Placement,
    PriorityPolicy,
    SiteRule,
    clinical_priority_from_dicom,
    format_duration,
    format_probability,
    place,
    waiting_reasons,
)

STAT, ASAP, ROUTINE = ClinicalPriority.STAT, ClinicalPriority.ASAP, ClinicalPriority.ROUTINE
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
POLICY = PriorityPolicy()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def placed(
    minutes: float = 0,
    clinical: ClinicalPriority = ROUTINE,
    urgency: float | None = None,
    policy: PriorityPolicy = POLICY,
    note: str | None = None,
) -> Placement:
    return place(
        arrived_at=at(minutes),
        clinical_priority=clinical,
        clinical_reason=f"{clinical} from Requested Procedure Priority",
        urgency=urgency,
        ai_note=note,
        policy=policy,
    )


def worklist_order(studies: dict[str, tuple[float, ClinicalPriority, float | None]]) -> list[str]:
    """Names sorted as the worklist sorts: due time, then arrival."""
    keys = {
        name: (placed(minutes, clinical, urgency).due_at, at(minutes))
        for name, (minutes, clinical, urgency) in studies.items()
    }
    return sorted(keys, key=keys.__getitem__)


# Order


def test_a_stat_study_is_due_before_a_routine_one_arriving_with_it_at_equal_urgency():
    for urgency in (None, 0.0, 0.3, 0.7, 0.99, 1.0):
        stat, asap, routine = (placed(0, cls, urgency).due_at for cls in (STAT, ASAP, ROUTINE))
        assert stat < asap < routine, urgency


def test_a_more_urgent_score_never_makes_a_study_due_later():
    for clinical in ClinicalPriority:
        dues = [placed(0, clinical, u / 100).due_at for u in range(101)]
        assert dues == sorted(dues, reverse=True)
        assert dues[0] > dues[-1]


def test_without_ai_studies_are_first_in_first_out_within_a_class():
    arrivals = [0, 3, 7, 30, 31]
    for clinical in ClinicalPriority:
        dues = [placed(minutes, clinical).due_at for minutes in arrivals]
        assert dues == sorted(dues)
        assert len(set(dues)) == len(dues)


def test_a_likely_positive_goes_ahead_of_earlier_negatives_but_not_of_overdue_ones():
    order = worklist_order(
        {
            "negative, arrived 2 h ago (overdue)": (-120, ROUTINE, 0.02),
            "negative, arrived 20 min ago": (-20, ROUTINE, 0.05),
            "positive, just arrived": (0, ROUTINE, 0.97),
            "unscored, arrived 10 min ago": (-10, ROUTINE, None),
            "STAT, arrived 10 min ago": (-10, STAT, None),
        }
    )
    assert order == [
        "negative, arrived 2 h ago (overdue)",
        "STAT, arrived 10 min ago",
        "positive, just arrived",
        "negative, arrived 20 min ago",
        "unscored, arrived 10 min ago",
    ]


def test_an_ai_negative_routine_study_overtakes_new_positives_once_overdue():
    negative = placed(0, ROUTINE, 0.0)
    assert negative.due_at == at(40)
    for arrival in range(41, 100, 5):
        certain = placed(arrival, ROUTINE, 1.0)
        assert certain.due_at > negative.due_at, arrival
    # Before it is due, an early enough positive still goes first.
    assert placed(30, ROUTINE, 1.0).due_at < negative.due_at


def test_an_overdue_study_outranks_every_study_not_yet_due():
    studies = [
        placed(minutes, clinical, urgency)
        for minutes in range(0, 240, 7)
        for clinical in ClinicalPriority
        for urgency in (None, 0.1, 0.6, 0.95)
    ]
    for now in (at(30), at(90), at(200)):
        overdue = [s.due_at for s in studies if now > s.due_at]
        not_due = [s.due_at for s in studies if s.due_at >= now]
        assert overdue
        assert not_due
        assert max(overdue) < min(not_due)


def test_sorting_by_due_time_is_sorting_by_allowed_wait_minus_waiting_time_at_any_moment():
    studies = [
        (minutes, placed(minutes, clinical, urgency))
        for minutes, clinical, urgency in [
            (0, ROUTINE, None),
            (4, ROUTINE, 0.9),
            (9, ASAP, 0.2),
            (15, STAT, None),
            (22, ROUTINE, 0.5),
            (40, ASAP, 1.0),
        ]
    ]
    by_due = sorted(range(len(studies)), key=lambda i: studies[i][1].due_at)
    for now in (at(45), at(75), at(300)):
        slack = [p.allowed_wait - (now - at(m)) for m, p in studies]
        assert sorted(range(len(studies)), key=slack.__getitem__) == by_due


def test_the_allowed_wait_follows_the_documented_formula():
    policy = PriorityPolicy(
        max_wait={
            STAT: timedelta(minutes=10),
            ASAP: timedelta(minutes=20),
            ROUTINE: timedelta(minutes=40),
        },
        ai_weight=0.5,
        ai_exponent=2.0,
    )
    result = placed(0, ASAP, 0.8, policy=policy)
    assert result.allowed_wait == timedelta(minutes=20) * (1 - 0.5 * 0.8**2)
    assert result.due_at == at(0) + result.allowed_wait
    assert placed(0, ASAP, None, policy=policy).allowed_wait == timedelta(minutes=20)


# Reasons


def test_reasons_name_the_clinical_source_and_the_ai_contribution():
    note = "AI: pneumonia likely, urgency 0.93 (p >= threshold 0.42, model chest_xray v1)"
    result = placed(0, STAT, 0.93, note=note)
    assert result.ai_used is True
    clinical, ai = result.reasons
    assert clinical == "Clinical priority STAT from Requested Procedure Priority: max wait 15 min"
    assert ai.startswith(note)
    assert ai.endswith(f"target wait {format_duration(result.allowed_wait)}")


def test_without_an_active_model_the_reasons_say_first_in_first_out():
    result = placed(0, ROUTINE, None, note="AI ranking off: no active model")
    assert result.ai_used is False
    assert result.reasons[-1] == (
        "AI ranking off: no active model; first in, first out within the clinical class"
    )


@pytest.mark.parametrize("note", ["AI score pending", "AI not applicable: modality CT", None])
def test_a_study_without_a_score_gets_its_class_max_wait_and_a_reason(note):
    result = placed(0, ASAP, None, note=note)
    assert result.allowed_wait == POLICY.max_wait[ASAP]
    assert result.reasons[-1].startswith(note or "No AI score")


def test_an_ai_weight_of_zero_ignores_the_score_and_says_so():
    result = placed(0, ROUTINE, 0.99, policy=PriorityPolicy(ai_weight=0))
    assert result.ai_used is False
    assert result.allowed_wait == POLICY.max_wait[ROUTINE]
    assert "AI weight 0" in result.reasons[-1]


@pytest.mark.parametrize("urgency", [-0.01, 1.01, math.nan, math.inf, True])
def test_an_urgency_outside_zero_to_one_is_rejected(urgency):
    with pytest.raises(ValueError, match="urgency"):
        placed(0, ROUTINE, urgency)


def test_waiting_reasons_say_how_long_it_has_waited_and_when_it_is_due():
    assert waiting_reasons(placement_due_at=at(60), arrived_at=at(0), now=at(47)) == [
        "Waiting 47 min",
        "Due in 13 min",
    ]


def test_waiting_reasons_say_when_the_max_wait_guard_puts_a_study_first():
    reasons = waiting_reasons(placement_due_at=at(60), arrived_at=at(0), now=at(72))
    assert reasons[0] == "Waiting 1 h 12 min"
    assert waiting_reasons(placement_due_at=at(60), arrived_at=at(0), now=at(14.99)) == [
        "Waiting 14 min",
        "Due in 45 min",
    ]
    assert reasons[1].startswith("Overdue by 12 min: the max-wait guard")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=-5), "0 s"),
        (timedelta(seconds=45.7), "45 s"),
        (timedelta(seconds=59.9), "59 s"),
        (timedelta(seconds=60), "1 min"),
        (timedelta(minutes=4, seconds=20), "4 min"),
        (timedelta(minutes=14, seconds=59.9), "14 min"),
        (timedelta(minutes=36, seconds=59), "36 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h 00 min"),
        (timedelta(hours=1, minutes=5), "1 h 05 min"),
        (timedelta(hours=23, minutes=59, seconds=59), "23 h 59 min"),
        (timedelta(hours=26), "1 d 2 h"),
    ],
)
def test_durations_round_down_in_the_worklist_page_words(duration, text):
    assert format_duration(duration) == text


@pytest.mark.parametrize(
    ("probability", "text"),
    [
        (0.0, "<0.01"),
        (0.0049, "<0.01"),
        (0.005, "0.01"),
        (0.42, "0.42"),
        (0.9949, "0.99"),
        (0.995, ">0.99"),
        (0.996, ">0.99"),
        (1.0, ">0.99"),
    ],
)
def test_probabilities_never_round_to_a_certainty_the_model_does_not_claim(probability, text):
    assert format_probability(probability) == text


def test_an_urgency_without_a_note_is_named_a_probability():
    result = place(
        arrived_at=at(0),
        clinical_priority=ROUTINE,
        clinical_reason="routine",
        urgency=0.996,
        ai_note=None,
        policy=POLICY,
    )

    assert result.reasons[1].startswith("AI probability >0.99; target wait")


# Policy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_wait": {STAT: timedelta(minutes=5), ROUTINE: timedelta(minutes=60)}}, "ASAP"),
        ({"max_wait": {STAT: timedelta(0), ASAP: timedelta(1), ROUTINE: timedelta(2)}}, "positive"),
        ({"max_wait": {STAT: 5, ASAP: timedelta(1), ROUTINE: timedelta(2)}}, "positive"),
        (
            {
                "max_wait": {
                    STAT: timedelta(hours=2),
                    ASAP: timedelta(hours=1),
                    ROUTINE: timedelta(hours=3),
                }
            },
            "more urgent class",
        ),
        ({"ai_weight": -0.1}, "ai_weight"),
        ({"ai_weight": 1.5}, "ai_weight"),
        ({"ai_weight": math.nan}, "ai_weight"),
        ({"ai_weight": "0.5"}, "ai_weight"),
        ({"ai_exponent": 0}, "ai_exponent"),
        ({"ai_exponent": -1.0}, "ai_exponent"),
    ],
)
def test_an_invalid_policy_is_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        PriorityPolicy(**changes)


def test_a_policy_round_trips_through_a_dict():
    policy = PriorityPolicy(
        max_wait={
            STAT: timedelta(minutes=20),
            ASAP: timedelta(hours=1),
            ROUTINE: timedelta(hours=4),
        },
        ai_weight=0.6,
        ai_exponent=1.5,
    )
    assert PriorityPolicy.from_dict(policy.to_dict()) == policy
    assert PriorityPolicy.from_dict(POLICY.to_dict()) == POLICY


def test_a_partial_policy_dict_keeps_the_defaults_for_what_it_leaves_out():
    policy = PriorityPolicy.from_dict({"max_wait_minutes": {"routine": 90}, "ai_weight": 0.5})
    assert policy.max_wait[ROUTINE] == timedelta(minutes=90)
    assert policy.max_wait[STAT] == POLICY.max_wait[STAT]
    assert policy.ai_weight == 0.5
    assert policy.ai_exponent == POLICY.ai_exponent


@pytest.mark.parametrize(
    "data",
    [
        {"max_wait": {}},
        {"max_wait_minutes": {"URGENT": 10}},
        {"max_wait_minutes": {"STAT": "ten"}},
        {"max_wait_minutes": {"STAT": 1e30}},
        {"max_wait_minutes": [10, 20, 30]},
        {"max_wait_minutes": {"STAT": 120}},  # longer than ASAP's default
        [("ai_weight", 0.5)],
    ],
)
def test_a_bad_policy_dict_is_rejected_with_a_value_error(data):
    with pytest.raises(ValueError):
        PriorityPolicy.from_dict(data)


# Clinical priority from DICOM and site rules


@pytest.mark.parametrize(
    ("keyword", "value", "expected"),
    [
        ("RequestedProcedurePriority", "STAT", STAT),
        ("RequestedProcedurePriority", "HIGH", ASAP),
        ("RequestedProcedurePriority", "ROUTINE", ROUTINE),
        ("RequestedProcedurePriority", "MEDIUM", ROUTINE),
        ("RequestedProcedurePriority", "LOW", ROUTINE),
        ("RequestedProcedurePriority", " stat ", STAT),
        ("ScheduledProcedureStepPriority", "HIGH", STAT),
        ("ScheduledProcedureStepPriority", "MEDIUM", ROUTINE),
        ("ReportingPriority", "HIGH", ASAP),
    ],
)
def test_dicom_priority_values_map_to_a_clinical_class_with_their_source(keyword, value, expected):
    clinical, reason = clinical_priority_from_dicom({keyword: value}, [])
    assert clinical == expected
    label = {
        "RequestedProcedurePriority": "Requested Procedure Priority",
        "ScheduledProcedureStepPriority": "Scheduled Procedure Step Priority",
        "ReportingPriority": "Reporting Priority",
    }[keyword]
    assert reason == f"{expected} from {label}"


@pytest.mark.parametrize(
    "values",
    [{}, {"RequestedProcedurePriority": None}, {"RequestedProcedurePriority": "CRITICAL"}],
)
def test_without_a_known_priority_a_study_is_routine_and_says_so(values):
    assert clinical_priority_from_dicom(values, DEFAULT_SITE_RULES) == (
        ROUTINE,
        "routine (no priority in the request)",
    )


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("XR CHEST TRAUMA", STAT),
        ("chest pa, Urgent", STAT),
        ("stat chest", STAT),
        ("CHEST ASAP", ASAP),
        ("CHEST STATUS POST SURGERY", ROUTINE),
        ("TRAUMATOLOGY FOLLOW-UP", ROUTINE),
    ],
)
def test_default_site_rules_match_whole_words_in_any_case(description, expected):
    clinical, reason = clinical_priority_from_dicom(
        {"StudyDescription": description}, DEFAULT_SITE_RULES
    )
    assert clinical == expected
    if expected != ROUTINE:
        assert "site rule" in reason
        assert "Study Description" in reason


def test_the_most_urgent_source_wins():
    rules = DEFAULT_SITE_RULES
    assert clinical_priority_from_dicom(
        {"RequestedProcedurePriority": "ROUTINE", "StudyDescription": "CHEST TRAUMA"}, rules
    ) == (STAT, "STAT by site rule 'STAT, URGENT or TRAUMA in the description' (Study Description)")
    assert clinical_priority_from_dicom(
        {"RequestedProcedurePriority": "STAT", "StudyDescription": "CHEST ASAP"}, rules
    ) == (STAT, "STAT from Requested Procedure Priority")
    assert clinical_priority_from_dicom(
        {"RequestedProcedurePriority": "HIGH", "ScheduledProcedureStepPriority": "HIGH"}, rules
    ) == (STAT, "STAT from Scheduled Procedure Step Priority")


def test_at_equal_class_the_dicom_attribute_is_named_before_a_site_rule():
    clinical, reason = clinical_priority_from_dicom(
        {"RequestedProcedurePriority": "STAT", "StudyDescription": "STAT CHEST"},
        DEFAULT_SITE_RULES,
    )
    assert (clinical, reason) == (STAT, "STAT from Requested Procedure Priority")


def test_a_site_rule_can_read_any_attribute():
    rule = SiteRule("ReasonForTheRequestedProcedure", r"sepsis", "ASAP", "sepsis work-up")
    assert rule.priority is ASAP
    assert clinical_priority_from_dicom(
        {"ReasonForTheRequestedProcedure": "Suspected SEPSIS, fever"}, [rule]
    ) == (ASAP, "ASAP by site rule 'sepsis work-up' (Reason For The Requested Procedure)")


@pytest.mark.parametrize(
    "fields",
    [
        ("StudyDescription", "(unclosed", STAT, "broken"),
        ("", "x", STAT, "no keyword"),
        ("StudyDescription", "x", "CRITICAL", "unknown class"),
    ],
)
def test_an_invalid_site_rule_is_rejected(fields):
    with pytest.raises(ValueError):
        SiteRule(*fields)


def test_the_priority_module_imports_without_django():
    code = "import sys, triage.priority; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
