"""The audit vocabulary: DICOM PS3.15 Annex A.5 audit messages (IHE ATNA, RFC 3881 structure).

Events are named in code by short keys ("instances_accessed"); rows and JSON lines carry the
DICOM codes (scheme "DCM") so a site's audit repository reads them without a mapping.
"""

from __future__ import annotations

CODE_SYSTEM = "DCM"

# EventID (PS3.15 A.5.3): what kind of thing happened.
EVENTS: dict[str, tuple[str, str]] = {
    "application_activity": ("110100", "Application Activity"),
    "audit_log_used": ("110101", "Audit Log Used"),
    "instances_accessed": ("110103", "DICOM Instances Accessed"),
    "instances_transferred": ("110104", "DICOM Instances Transferred"),
    "study_deleted": ("110105", "DICOM Study Deleted"),
    "export": ("110106", "Export"),
    "import": ("110107", "Import"),
    "patient_record": ("110110", "Patient Record"),
    "query": ("110112", "Query"),
    "security_alert": ("110113", "Security Alert"),
    "user_authentication": ("110114", "User Authentication"),
}

# EventTypeCode (PS3.16 CID 400-ish, DCM 1101xx): the finer kind, where A.5 asks for one.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "application_start": ("110120", "Application Start"),
    "application_stop": ("110121", "Application Stop"),
    "login": ("110122", "Login"),
    "logout": ("110123", "Logout"),
    "node_authentication": ("110126", "Node Authentication"),
    "network_configuration": ("110128", "Network Configuration"),
    "security_configuration": ("110129", "Security Configuration"),
    "software_configuration": ("110131", "Software Configuration"),
    "use_of_restricted_function": ("110132", "Use of Restricted Function"),
    "security_roles_changed": ("110136", "Security Roles Changed"),
    "user_security_attributes_changed": ("110137", "User Security Attributes Changed"),
}

# EventActionCode (RFC 3881): Create, Read, Update, Delete, Execute.
ACTIONS: dict[str, str] = {
    "C": "Create",
    "R": "Read",
    "U": "Update",
    "D": "Delete",
    "E": "Execute",
}

# EventOutcomeIndicator (RFC 3881).
SUCCESS = 0
MINOR_FAILURE = 4  # e.g. refused: not authenticated, not permitted, not found
SERIOUS_FAILURE = 8  # the action was attempted and failed
MAJOR_FAILURE = 12
OUTCOMES: dict[int, str] = {
    SUCCESS: "Success",
    MINOR_FAILURE: "Minor failure",
    SERIOUS_FAILURE: "Serious failure",
    MAJOR_FAILURE: "Major failure",
}

# Participant objects, by the kind this product stores, mapped to RFC 3881 / A.5 codes:
# (ParticipantObjectTypeCode, ParticipantObjectTypeCodeRole, ParticipantObjectIDTypeCode).
# TypeCode: 1 person, 2 system object. Role: 1 patient, 3 report, 4 resource, 6 user,
# 11 security user entity, 13 security resource, 24 query. IDTypeCode: RFC-3881 2 Patient Number,
# 11 User Identifier, 12 URI; DCM 110180 Study Instance UID, 110181 SOP Class UID (A.5.3.12 Query),
# 110182 Node ID.
OBJECT_KINDS: dict[str, tuple[int, int, tuple[str, str, str]]] = {
    "patient": (1, 1, ("2", "RFC-3881", "Patient Number")),
    "study": (2, 3, ("110180", CODE_SYSTEM, "Study Instance UID")),
    "case": (2, 3, ("110180", CODE_SYSTEM, "Study Instance UID")),
    "query": (2, 24, ("110181", CODE_SYSTEM, "SOP Class UID")),
    "user": (1, 11, ("11", "RFC-3881", "User Identifier")),
    "device": (2, 4, ("110182", CODE_SYSTEM, "Node ID")),
    "model": (2, 13, ("12", "RFC-3881", "URI")),
    "label": (2, 3, ("12", "RFC-3881", "URI")),
    "run": (2, 13, ("12", "RFC-3881", "URI")),
    "settings": (2, 13, ("12", "RFC-3881", "URI")),
    "export": (2, 3, ("12", "RFC-3881", "URI")),
}


def event_code(name: str) -> tuple[str, str]:
    """(code, display) of an event key; ValueError names the keys when it is unknown."""
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"unknown audit event {name!r}; use one of {', '.join(EVENTS)}") from None


def event_type_code(name: str) -> tuple[str, str]:
    """(code, display) of an event type key ("" gives ("", ""))."""
    if not name:
        return ("", "")
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown audit event type {name!r}; use one of {', '.join(EVENT_TYPES)}"
        ) from None


_DISPLAYS = {code: display for code, display in [*EVENTS.values(), *EVENT_TYPES.values()]}


def display_of(code: str) -> str:
    """The display name of an EventID or EventTypeCode code."""
    return _DISPLAYS.get(code, code)
