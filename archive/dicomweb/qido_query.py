"""QIDO-RS query parameters (PS3.18 8.3.4): which keys match what, checked before any SQL runs.

Each attribute the index holds is listed once with its level, its column (relative to that
level's model) and how it matches. Parsing turns the query string into a `QidoQuery` of
conditions, or raises BadQuery with a sentence naming the offending parameter.

`fuzzymatching=true` matches person names as people type them (PS3.4 C.2.2.2.1.x leaves the
method to the server): case-insensitively, each word of the value the start of some component
or word of the name, in any order (`doe` finds DOE^JOHN, `john doe` and `jo` find Doe^John).
It applies to person-name keys without wildcards; a key with wildcards is matched literally,
and what fuzzy matching did not do is said in the query's warnings (a 299 Warning, PS3.18 8.3.4).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from django.http import QueryDict
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword

from archive.dicomweb.errors import BadQuery

Level = Literal["study", "series", "instance"]
LEVELS: tuple[Level, ...] = ("study", "series", "instance")
Match = Literal["uid", "text", "date", "time", "int", "modalities", "none"]

# Parameters that are not attributes; emptyvaluematching and multiplevaluematching are accepted
# and ignored (the archive matches multiple values, and never matches empty values specially).
CONTROL_PARAMS = {
    "limit",
    "offset",
    "includefield",
    "fuzzymatching",
    "emptyvaluematching",
    "multiplevaluematching",
    "_",
}


@dataclass(frozen=True)
class Attribute:
    keyword: str
    tag: str  # eight upper-case hex digits, as DICOM JSON keys are written
    vr: str
    level: Level
    field: str | None  # column relative to the level's model; None when computed
    match: Match = "text"
    search_field: str | None = None  # column matched instead of `field`
    case_insensitive: bool = False


def _a(
    keyword: str, level: Level, column: str | None, match: Match = "text", **kw: object
) -> Attribute:
    tag = tag_for_keyword(keyword)
    return Attribute(keyword, f"{tag:08X}", dictionary_VR(tag), level, column, match, **kw)  # type: ignore[arg-type]


ATTRIBUTES: tuple[Attribute, ...] = (
    _a("SpecificCharacterSet", "study", None, "none"),
    _a("StudyDate", "study", "study_date", "date"),
    _a("StudyTime", "study", "study_time", "time"),
    _a("AccessionNumber", "study", "accession_number"),
    _a("InstanceAvailability", "study", None, "none"),
    _a("ModalitiesInStudy", "study", "modalities_in_study", "modalities"),
    _a("ReferringPhysicianName", "study", "referring_physician_name", case_insensitive=True),
    _a("StudyDescription", "study", "study_description", case_insensitive=True),
    _a(
        "PatientName",
        "study",
        "patient__patient_name",
        search_field="patient__patient_name_search",
        case_insensitive=True,
    ),
    _a("PatientID", "study", "patient__patient_id"),
    _a("IssuerOfPatientID", "study", "patient__issuer_of_patient_id"),
    _a("PatientBirthDate", "study", "patient__patient_birth_date", "time"),
    _a("PatientSex", "study", "patient__patient_sex"),
    _a("StudyInstanceUID", "study", "study_instance_uid", "uid"),
    _a("StudyID", "study", "study_id"),
    _a("NumberOfStudyRelatedSeries", "study", "num_series", "int"),
    _a("NumberOfStudyRelatedInstances", "study", "num_instances", "int"),
    _a("Modality", "series", "modality", "uid"),
    _a("SeriesDescription", "series", "series_description", case_insensitive=True),
    _a("BodyPartExamined", "series", "body_part_examined"),
    _a("SeriesInstanceUID", "series", "series_instance_uid", "uid"),
    _a("SeriesNumber", "series", "series_number", "int"),
    _a("NumberOfSeriesRelatedInstances", "series", "num_instances", "int"),
    _a("PerformedProcedureStepStartDate", "series", "performed_procedure_step_start_date", "time"),
    _a("PerformedProcedureStepStartTime", "series", "performed_procedure_step_start_time", "time"),
    _a("SOPClassUID", "instance", "sop_class_uid", "uid"),
    _a("SOPInstanceUID", "instance", "sop_instance_uid", "uid"),
    _a("InstanceNumber", "instance", "instance_number", "int"),
    _a("Rows", "instance", "rows", "int"),
    _a("Columns", "instance", "columns", "int"),
    _a("NumberOfFrames", "instance", "number_of_frames", "int"),
    _a("BitsAllocated", "instance", "bits_allocated", "int"),
    _a("SamplesPerPixel", "instance", "samples_per_pixel", "int"),
    _a("PhotometricInterpretation", "instance", "photometric_interpretation"),
    _a("AvailableTransferSyntaxUID", "instance", "transfer_syntax_uid", "uid"),
)
BY_TAG = {a.tag: a for a in ATTRIBUTES}
RETRIEVE_URL_TAG = "00081190"


@dataclass(frozen=True)
class Condition:
    """One matching key: `values` for uid/int/modalities lists, `pattern` for wildcards,
    `low`/`high` for ranges (either may be None)."""

    attribute: Attribute
    values: tuple[object, ...] = ()
    pattern: str | None = None
    low: object = None
    high: object = None
    # Fuzzy person-name matching: case-insensitive regular expressions that must all match.
    regexes: tuple[str, ...] = ()


# The largest offset or limit taken: more than any archive holds, less than PostgreSQL's bigint.
MAX_COUNT = 2**31 - 1
MAX_INT = 2**31 - 1  # integer attributes (Series, Instance Number) are 32-bit columns


@dataclass
class QidoQuery:
    level: Level
    conditions: list[Condition] = field(default_factory=list)
    include_all: bool = False
    include_tags: set[str] = field(default_factory=set)  # attributes outside the index too
    limit: int | None = None
    offset: int = 0
    fuzzy: bool = False
    warnings: list[str] = field(default_factory=list)  # what the search could not do as asked


def qido_query_parse(params: QueryDict, *, level: Level) -> QidoQuery:
    """Parse a QIDO-RS query string for a search at `level`. Raises BadQuery."""
    query = QidoQuery(level=level)
    query.fuzzy = _fuzzy(params)
    query.limit = _count(params, "limit")
    query.offset = _count(params, "offset") or 0
    for value in params.getlist("includefield"):
        for item in re.split(r"[,\s]+", value.strip()):
            if item.lower() == "all":
                query.include_all = True
            elif item:
                query.include_tags.add(_tag_of(item, "includefield"))
    for key in params:
        if key.lower() in CONTROL_PARAMS:
            continue
        condition = _condition(key, params.getlist(key), level, fuzzy=query.fuzzy)
        if condition is not None:
            query.conditions.append(condition)
    if query.fuzzy:
        query.warnings += _fuzzy_warnings(params, query.conditions)
    return query


def _fuzzy(params: QueryDict) -> bool:
    values = [params.get(key) for key in params if key.lower() == "fuzzymatching"]
    value = (values[0] or "false").strip().lower() if values else "false"
    if value not in ("true", "false"):
        raise BadQuery(f"fuzzymatching={value[:20]!r}: expected true or false")
    return value == "true"


def _fuzzy_warnings(params: QueryDict, conditions: list[Condition]) -> list[str]:
    names = [c for c in conditions if c.attribute.vr == "PN"]
    literal = [c.attribute.keyword for c in names if not c.regexes]
    if literal:
        return [
            f"Fuzzy matching applies to person names without wildcards; {', '.join(literal)} "
            "was matched literally."
        ]
    if not names:
        return [
            "The fuzzymatching parameter applies to person names only and the query has none; "
            "only literal matching has been performed."
        ]
    return []


def _count(params: QueryDict, name: str) -> int | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    if not re.fullmatch(r"[0-9]+", text):
        raise BadQuery(f"{name}={text[:20]!r}: expected a non-negative integer")
    if len(text) > 10 or int(text) > MAX_COUNT:
        raise BadQuery(f"{name}={text[:20]}…: at most {MAX_COUNT}")
    return int(text)


def _tag_of(key: str, context: str) -> str:
    """The eight-hex-digit tag of a keyword or tag; BadQuery when it names no attribute."""
    if "." in key:
        raise BadQuery(f"{context} {key!r}: sequence attributes are not supported")
    if re.fullmatch(r"[0-9A-Fa-f]{8}", key):
        return key.upper()
    tag = tag_for_keyword(key)
    if tag is None:
        raise BadQuery(
            f"Unknown query parameter {key!r}: not a DICOM keyword or tag, nor one of "
            f"{', '.join(sorted(CONTROL_PARAMS - {'_'}))}"
        )
    return f"{tag:08X}"


def _condition(key: str, raw: list[str], level: Level, *, fuzzy: bool = False) -> Condition | None:
    tag = _tag_of(key, "query parameter")
    attribute = BY_TAG.get(tag)
    if attribute is None or attribute.match == "none":
        name = keyword_for_tag(int(tag, 16)) or tag
        keys = ", ".join(a.keyword for a in ATTRIBUTES if _searchable(a, level))
        raise BadQuery(f"Matching on {name} is not supported; match on one of: {keys}")
    if not _searchable(attribute, level):
        raise BadQuery(f"{attribute.keyword} cannot be matched in a {level}-level search")
    values = [v.strip() for v in raw if v.strip()]
    if not values or values == ["*"]:
        return None  # universal matching: an empty value (or a lone `*`) matches everything
    if fuzzy and attribute.vr == "PN" and not any(c in v for v in values for c in "*?"):
        return _fuzzy_name(attribute, values)
    return _parse_value(attribute, values)


# What separates the words of a person name: components (^), groups (=), spaces, commas.
NAME_SEPARATORS = r"[\^=\s,]+"


def _fuzzy_name(attribute: Attribute, values: list[str]) -> Condition:
    """Each word of the value must start a component or word of the name (see the docstring)."""
    if len(values) > 1:
        raise BadQuery(f"{attribute.keyword} is given {len(values)} times; give it once")
    words = [w for w in re.split(NAME_SEPARATORS, values[0].upper()) if w]
    if not words:
        return Condition(attribute, pattern="%")
    # PostgreSQL's regular expressions read re.escape's output: it escapes only punctuation.
    return Condition(attribute, regexes=tuple(f"(^|[=^ ]){re.escape(w)}" for w in words))


def _searchable(attribute: Attribute, level: Level) -> bool:
    return attribute.match != "none" and LEVELS.index(attribute.level) <= LEVELS.index(level)


def _parse_value(attribute: Attribute, values: list[str]) -> Condition:
    name = attribute.keyword
    items = [i.strip() for v in values for i in re.split(r"[,\\]", v) if i.strip()]
    if attribute.match in ("uid", "modalities"):
        return Condition(attribute, values=tuple(items))
    if attribute.match == "int":
        if not all(re.fullmatch(r"-?[0-9]{1,10}", i) and abs(int(i)) <= MAX_INT for i in items):
            raise BadQuery(f"{name}={values[0][:20]!r}: expected an integer of at most 10 digits")
        return Condition(attribute, values=tuple(int(i) for i in items))
    if len(values) > 1:
        raise BadQuery(f"{name} is given {len(values)} times; give it once")
    value = values[0]
    if attribute.match in ("date", "time") and "-" in value:
        return _range(attribute, value)
    if attribute.match == "date":
        return Condition(attribute, values=(_date(name, value),))
    if "*" in value or "?" in value:
        return Condition(attribute, pattern=_like_pattern(value, attribute.case_insensitive))
    if attribute.match == "time":
        # 1230 matches 123000.5: a time (or partial date string) matches by its leading digits.
        return Condition(attribute, pattern=_like_pattern(value, False) + "%")
    if attribute.case_insensitive:
        return Condition(attribute, pattern=_like_pattern(value, True))
    return Condition(attribute, values=(value,))


def _range(attribute: Attribute, value: str) -> Condition:
    low_text, _, high_text = value.partition("-")
    if "-" in high_text:
        raise BadQuery(f"{attribute.keyword}={value!r}: a range is 'A-B', '-B' or 'A-'")
    low: object
    high: object
    if attribute.match == "date":
        low = _date(attribute.keyword, low_text) if low_text else None
        high = _date(attribute.keyword, high_text) if high_text else None
    else:
        low, high = low_text or None, (high_text + "\uffff") if high_text else None
    if low is None and high is None:
        raise BadQuery(f"{attribute.keyword}={value!r}: a range needs at least one end")
    return Condition(attribute, low=low, high=high)


def _date(name: str, text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        raise BadQuery(f"{name}={text!r}: expected a date YYYYMMDD or a range of them") from None


def _like_pattern(value: str, case_insensitive: bool) -> str:
    """A DICOM wildcard (`*`, `?`) as a SQL LIKE pattern with `\\` as the escape character."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = escaped.replace("*", "%").replace("?", "_")
    return pattern.upper() if case_insensitive else pattern
