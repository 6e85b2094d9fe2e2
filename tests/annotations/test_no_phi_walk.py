"""No identifier reaches an annotator: studies with known identifiers are stored through the
real ingest path, an annotator is given cases of them, and every URL of the project is asked
for as that annotator, path parameters filled with what an annotator can know (pseudonyms,
served UIDs, ids). The routes come from the URL configuration, so an endpoint added later is
walked too. No answer, whatever its status, may hold an identifier or an original UID."""

from __future__ import annotations

import collections
import contextlib
import io
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from tests.annotations.deid_fixtures import (
    TASK,
    Identifiers,
    body_of,
    case_make,
    client_of,
    phi_dataset,
    store,
)

SKIPPED = ("admin/", "accounts/logout/")  # Django's admin (staff only); logout is POST-only
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Keys whose value would be a database id or a UID of the study; no annotator answer has one.
FORBIDDEN_KEYS = {
    "study",
    "study_id",
    "study_pk",
    "series",
    "series_id",
    "instance",
    "instance_id",
    "study_uid",
    "series_uid",
    "sop_uid",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
    "accession_number",
    "patient",
    "patient_id",
    "patient_name",
}
STREAM_CHUNKS = 50  # an event stream would never end: what it says first is read


def routes(patterns: list[Any] | None = None, prefix: str = "") -> list[str]:
    """Every route of the project, as written ("api/annotate/cases/<str:pseudonym>")."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return sorted(r for r in found if not r.startswith(SKIPPED) and "(?P" not in r)


def fillings(route: str, known: dict[str, Any]) -> Iterator[str]:
    """URLs for `route` with each parameter filled with what an annotator can know: every case
    context (pseudonym, its served UIDs), and every id for integer parameters."""
    params = PARAM.findall(route)
    ints = known["ints"] if any(conv == "int" for conv, _ in params) else [None]
    for context, number in itertools.product(known["contexts"], ints):

        def value(
            match: re.Match[str], context: dict[str, str] = context, number: Any = number
        ) -> str:
            converter, name = match.groups()
            if converter == "int":
                return str(number)
            return context.get(name, context["default"])

        yield "/" + PARAM.sub(value, route)


def _context(pseudonym: str, served: dict[str, Any] | None) -> dict[str, str]:
    uids = {}
    if served is not None:
        uids = {
            name: served[tag]["Value"][0]
            for name, tag in (("study", "0020000D"), ("series", "0020000E"), ("sop", "00080018"))
        }
    numbers = dict.fromkeys(("frames", "frame", "n", "number"), "1")
    return {
        "default": pseudonym,
        "task": TASK,
        "tag": "7FE00010",
        **{k: pseudonym for k in ("pseudonym", "case_id", "case")},
        **numbers,
        **{f"{k}_uid": v for k, v in uids.items()},
        **uids,
    }


def leaks(body: bytes, secrets: list[str]) -> list[str]:
    """The secrets found in a body, as raw bytes (multipart, images) and as decoded text
    (JSON may escape what it carries)."""
    text = body.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):
        text += json.dumps(json.loads(body), ensure_ascii=False)
    return [s for s in secrets if s.encode() in body or s in text]


def forbidden_keys(body: bytes) -> set[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return set()
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(k for k in node if k.lower() in FORBIDDEN_KEYS)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    return found


def read_body(response: Any) -> bytes:
    if not getattr(response, "streaming", False):
        return bytes(response.content)
    chunks = []
    for chunk in itertools.islice(response.streaming_content, STREAM_CHUNKS):
        chunks.append(chunk if isinstance(chunk, bytes) else str(chunk).encode())
    response.close()
    return b"".join(chunks)


@pytest.fixture
def world(make_user):
    """Three studies with identifiers, and the cases an annotator holds of them."""
    annotator = make_user("annotator", "walker")
    other = make_user("annotator", "other-annotator")
    first, second, twin = Identifiers("WA"), Identifiers("WB"), Identifiers("WC")
    twin_ds = phi_dataset(twin)
    copy_ds = phi_dataset(twin)
    copy_ds.PatientName = "Othername^Walter"  # the same image under another patient's name
    cases = {
        "held": case_make(
            store(phi_dataset(first)), pseudonym="W-HELD", holders=[(annotator, "locked")]
        ),
        "submitted": case_make(
            store(phi_dataset(first)), pseudonym="W-DONE", holders=[(annotator, "submitted")]
        ),
        "second": case_make(
            store(phi_dataset(second)), pseudonym="W-SECOND", holders=[(annotator, "locked")]
        ),
        "twin": case_make(store(twin_ds), pseudonym="W-TWIN", holders=[(annotator, "locked")]),
        "copy": case_make(store(copy_ds), pseudonym="W-COPY", holders=[(annotator, "locked")]),
        "theirs": case_make(
            store(phi_dataset(second)), pseudonym="W-THEIRS", holders=[(other, "locked")]
        ),
        "open": case_make(store(phi_dataset(first)), pseudonym="W-OPEN", holders=[]),
    }
    _label(cases["held"], annotator)
    secrets = [*first.secrets(), *second.secrets(), *twin.secrets(), "Othername"]
    return {"annotator": annotator, "cases": cases, "secrets": secrets}


def _label(case: Any, author: Any) -> None:
    """A class label of the annotator's on a case, so label routes have a real id to walk."""
    from annotations.models import Label
    from ml.core.tasks import task_get

    Label.objects.create(
        task=TASK,
        study=case.study,
        instance=case.instance,
        frame_number=1,
        kind=Label.Kind.CLASS,
        value=task_get(TASK).classes[0].key,
        source=Label.Source.ANNOTATOR,
        author=author,
        case=case,
    )


def _known(world: dict[str, Any], client: Any) -> dict[str, Any]:
    """What the annotator can know: pseudonyms, the UIDs they were served, and ids."""
    from annotations.models import CaseSlot, Label

    contexts = [_context("NOT-A-CASE", None)]
    for case in world["cases"].values():
        response = client.get(f"/api/annotate/cases/{case.pseudonym}/dicom/metadata")
        served = json.loads(response.content)[0] if response.status_code == 200 else None
        contexts.append(_context(case.pseudonym, served))
    studies = {c.study_id for c in world["cases"].values()}
    ints = {1, world["annotator"].pk, *Label.objects.values_list("pk", flat=True)}
    ints |= studies | {c.instance_id for c in world["cases"].values()}
    ints |= {c.pk for c in world["cases"].values()}
    ints |= set(CaseSlot.objects.values_list("pk", flat=True))
    return {"contexts": contexts, "ints": sorted(ints)}


def _post_next(client: Any) -> list[tuple[str, Any]]:
    """POST /api/annotate/next, the annotator's one POST that answers data (when it exists)."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("annotate-next")
    except NoReverseMatch:
        return []
    return [(f"POST {url}", client.post(url, {"task": TASK}, format="json"))]


def test_the_walk_covers_the_annotation_routes():
    walked = routes()

    assert "api/annotate/cases/<str:pseudonym>/dicom/metadata" in walked
    assert "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>" in walked


def test_no_identifier_reaches_an_annotator_on_any_route(world):
    client = client_of(world["annotator"])
    client.force_login(world["annotator"])  # signed in too: the browser's pages answer
    known = _known(world, client)
    answers = _post_next(client)
    for route in routes():
        for url in dict.fromkeys(fillings(route, known)):
            for query in ("", f"?task={TASK}"):
                answers.append((f"GET {url}{query}", client.get(url + query)))

    problems, ok = [], 0
    for request, response in answers:
        body = read_body(response)
        ok += response.status_code == 200
        if found := leaks(body, world["secrets"]):
            problems.append(f"{request} -> {response.status_code}: {found}")
        if response.status_code < 300 and (keys := forbidden_keys(body)):
            problems.append(f"{request} -> {response.status_code}: keys {sorted(keys)}")

    statuses = collections.Counter(response.status_code for _, response in answers)
    print(f"walked {len(answers)} requests: {dict(sorted(statuses.items()))}")
    assert problems == []
    served = [r for r, resp in answers if "/dicom/" in r and resp.status_code == 200]
    assert len(served) >= 3 * 5  # the held cases' metadata, frames and rendered were read
    assert ok > len(served)


def test_another_annotators_case_is_not_served(world):
    client = client_of(world["annotator"])

    for tail in ("metadata", "frames/1", "rendered"):
        response = client.get(f"/api/annotate/cases/W-THEIRS/dicom/{tail}")
        assert response.status_code == 404


def test_the_rendered_image_draws_no_patient_text(world):
    client = client_of(world["annotator"])

    twin = body_of(client.get("/api/annotate/cases/W-TWIN/dicom/rendered"))
    copy = body_of(client.get("/api/annotate/cases/W-COPY/dicom/rendered"))

    assert twin.startswith(b"\x89PNG") and twin == copy
    assert Image.open(io.BytesIO(twin)).size == (211, 169)  # the image itself, nothing around it
