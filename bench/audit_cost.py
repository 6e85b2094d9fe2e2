"""What the audit log costs per request: the same request mix against the product's server with
the audit middleware and without it, and the rows and bytes each audited request leaves.

Production shape on this machine: PostgreSQL, gunicorn with one uvicorn (ASGI) worker serving
config.asgi, twice on the same database: one with the settings as shipped (audit on), one with
`audit.middleware.AuditMiddleware` taken out of MIDDLEWARE (a generated settings module that
imports config.settings; the product has no switch to turn the audit off, on purpose). One
client with an API token (a radiologist) asks, round after round, for what a reader's viewer
asks of one study: its worklist detail, a QIDO-RS study search by Patient ID, the study's
metadata, its frame (stored transfer syntax) and its thumbnail. Each request goes to both
servers back to back, in random order, so the two see the same moment of a shared machine:
the added time is read from the paired differences (median and p95 of audit-on minus
audit-off), beside each side's own percentiles.

Rows and bytes: the audit tables' rows and `pg_total_relation_size` (heap, indexes, TOAST)
before and after the measured rounds, over the number of audited requests; and the JSON lines
the audit writes beside the table (AUDIT_LOG_TARGET, a file by default).

    .venv/bin/python -m bench.audit_cost [--rounds 300] [--studies 20] [--no-readme]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.asgi_product import AsgiProduct
from bench.readme_blocks import block_replace
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "audit_cost"
SHARED = ROOT.parent / "shared" / "data" / "dicom"
PRODUCT = AsgiProduct(database="bench_audit_cost", work=WORK)
USER, PASSWORD = "bench-reader", "bench-audit-cost-password"
OFF_SETTINGS = "bench_audit_off_settings"
AUDIT_MIDDLEWARE = "audit.middleware.AuditMiddleware"

FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
# name -> (path template, Accept); names are the README's rows.
KINDS: dict[str, tuple[str, str]] = {
    "worklist detail": ("/api/worklist/{study}", "application/json"),
    "QIDO-RS study search": ("/dicomweb/studies?PatientID={patient}", "application/dicom+json"),
    "study metadata": ("/dicomweb/studies/{study}/metadata", "application/dicom+json"),
    "frame": ("/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/1", FRAME_ACCEPT),
    "thumbnail": (
        "/dicomweb/studies/{study}/series/{series}/instances/{sop}/thumbnail",
        "image/jpeg",
    ),
}


@dataclass(frozen=True)
class StoredStudy:
    study: str
    series: str
    sop: str
    patient: str


def off_settings_module() -> Path:
    """A settings module: config.settings without the audit middleware; its folder."""
    folder = WORK / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{OFF_SETTINGS}.py").write_text(
        '"""config.settings without the audit middleware (bench/audit_cost.py only)."""\n'
        "from config.settings import *  # noqa: F403\n"
        "from config.settings import MIDDLEWARE\n\n"
        f"MIDDLEWARE = [m for m in MIDDLEWARE if m != {AUDIT_MIDDLEWARE!r}]\n"
    )
    return folder


def load_studies(count: int) -> tuple[list[StoredStudy], str]:
    """Store `count` chest radiographs as studies on the worklist (in this process); the studies
    and the reader's API token."""
    PRODUCT.django_setup()
    import datetime as dt

    import pydicom
    from django.utils import timezone

    from accounts.services import token_issue
    from archive.models import Instance, Study
    from archive.services.demo import PNEUMONIA_NPZ, dx_dataset, pneumonia_images
    from archive.services.ingest import instance_ingest
    from triage.services.scoring import study_triage_start

    stored = []
    images = pneumonia_images(npz_path=SHARED.parent / PNEUMONIA_NPZ, count=count)
    for n, image in enumerate(images):
        buffer = io.BytesIO()
        ds = dx_dataset(image, today=timezone.now().date())
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        uid = instance_ingest(fp=io.BytesIO(buffer.getvalue()), source="bench").study_instance_uid
        Study.objects.filter(study_instance_uid=uid).update(
            status=Study.Status.STABLE,
            stable_at=timezone.now(),
            received_at=timezone.now() - dt.timedelta(minutes=count - n),
        )
        study_triage_start(study_id=Study.objects.get(study_instance_uid=uid).pk)
        instance = Instance.objects.select_related("series").get(
            series__study__study_instance_uid=uid
        )
        stored.append(
            StoredStudy(
                uid, instance.series.series_instance_uid, instance.sop_instance_uid, ds.PatientID
            )
        )
    return stored, token_issue(username=USER)


def audit_footprint() -> dict[str, int]:
    """Rows and bytes (heap, indexes, TOAST) of the audit tables, and the JSON lines' bytes."""
    from django.conf import settings
    from django.db import connection

    from audit.models import AuditEvent, AuditObject

    footprint: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, model in (("events", AuditEvent), ("objects", AuditObject)):
            table = model._meta.db_table
            cursor.execute(f'SELECT count(*), pg_total_relation_size(%s) FROM "{table}"', [table])
            rows, size = cursor.fetchone()
            footprint[f"{name}_rows"], footprint[f"{name}_bytes"] = rows, size
    target = settings.AUDIT_LOG_TARGET
    path = Path(target.removeprefix("file:")) if target.startswith("file:") else None
    footprint["jsonl_bytes"] = path.stat().st_size if path and path.exists() else 0
    return footprint


def write_path_parts(study: StoredStudy, repeat: int = 200) -> dict[str, float]:
    """Median ms of the audit write's parts, called in this process on the same database after
    the measured rounds (they add `repeat` rows): where the added time goes."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from audit import services

    user = User.objects.get(username=USER)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (x integer)")

    def median_ms(call: Any) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def insert_commit() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit_probe VALUES (1)")

    def event_write() -> None:
        services.event_write(
            event="instances_accessed",
            action="R",
            user=user,
            source="127.0.0.1",
            objects=services.study_objects(study.study),
            method="GET",
            path=f"/dicomweb/studies/{study.study}/metadata",
            status=200,
            duration_ms=1,
        )

    return {
        "the user's roles (user_snapshot)": median_ms(lambda: services.user_snapshot(user)),
        "one INSERT into a logged table and its COMMIT (WAL flush)": median_ms(insert_commit),
        "event_write: roles, event and objects in one INSERT statement, JSON line": median_ms(
            event_write
        ),
    }


def timed_get(session: requests.Session, url: str, accept: str) -> float:
    """Seconds until the whole body of a GET has arrived; fails on anything but 200."""
    started = time.perf_counter()
    response = session.get(url, headers={"Accept": accept}, timeout=60)
    _ = response.content
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.text[:200]}")
    return elapsed


def run_rounds(
    bases: dict[str, str], token: str, studies: list[StoredStudy], rounds: int, seed: int
) -> dict[str, dict[str, list[float]]]:
    """`rounds` rounds of every kind on one study, each request to every server of `bases` in
    random order; seconds by kind and by server ("on", "off")."""
    rng = random.Random(seed)
    sessions = {}
    for side in bases:
        sessions[side] = requests.Session()
        sessions[side].headers["Authorization"] = f"Bearer {token}"
    times: dict[str, dict[str, list[float]]] = {
        kind: {side: [] for side in bases} for kind in KINDS
    }
    for n in range(rounds):
        study = studies[n % len(studies)]
        fields = {
            "study": study.study,
            "series": study.series,
            "sop": study.sop,
            "patient": study.patient,
        }
        kinds = list(KINDS)
        rng.shuffle(kinds)
        for kind in kinds:
            template, accept = KINDS[kind]
            sides = list(bases)
            rng.shuffle(sides)
            for side in sides:
                url = bases[side] + template.format(**fields)
                times[kind][side].append(timed_get(sessions[side], url, accept))
    return times


def summarise(times: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    """Per kind and for the whole mix: each side's p50/p95 and the paired added ms."""

    def row(name: str, on: list[float], off: list[float]) -> dict[str, Any]:
        added = [(a - b) * 1000 for a, b in zip(on, off, strict=True)]
        on_ms, off_ms = [t * 1000 for t in on], [t * 1000 for t in off]
        return {
            "kind": name,
            "n": len(on),
            "on_p50": percentile(on_ms, 50),
            "on_p95": percentile(on_ms, 95),
            "off_p50": percentile(off_ms, 50),
            "off_p95": percentile(off_ms, 95),
            "added_p50": statistics.median(added),
            "added_p95": percentile(added, 95),
            "added_mean": statistics.fmean(added),
        }

    rows = [row(kind, t["on"], t["off"]) for kind, t in times.items()]
    mix_on = [t for kind in times for t in times[kind]["on"]]
    mix_off = [t for kind in times for t in times[kind]["off"]]
    return [row("**mix of all below**", mix_on, mix_off), *rows]


def report(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    before: dict[str, int],
    after: dict[str, int],
    off_rows: int,
    parts: dict[str, float],
) -> str:
    requests_on = rows[0]["n"]
    # The measured rounds sent as many requests without the middleware: take out their rows.
    off_per_request = off_rows / (len(KINDS) * args.studies)
    events = after["events_rows"] - before["events_rows"] - round(off_per_request * requests_on)
    objects = after["objects_rows"] - before["objects_rows"]
    table_bytes = (after["events_bytes"] + after["objects_bytes"]) - (
        before["events_bytes"] + before["objects_bytes"]
    )
    jsonl = after["jsonl_bytes"] - before["jsonl_bytes"]
    lines = [
        f"Audit cost per request: {args.rounds} rounds of the 5-request mix on {args.studies} "
        "single-image DX studies, each request sent to the server with the audit and to the same "
        "server without its middleware, back to back in random order (PostgreSQL, gunicorn + 1 "
        "uvicorn worker each, one client with an API token; one 2-core machine shared with other "
        "work runs servers, database and client). Added = audit-on minus audit-off of each pair.",
        "",
        "| request | n | with audit p50 ms | p95 ms | without p50 ms | p95 ms "
        "| added p50 ms | added p95 ms | added mean ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['n']} | {r['on_p50']:.1f} | {r['on_p95']:.1f} | "
            f"{r['off_p50']:.1f} | {r['off_p95']:.1f} | {r['added_p50']:.2f} | "
            f"{r['added_p95']:.2f} | {r['added_mean']:.2f} |"
        )
    lines += [
        "",
        f"Storage: {events} audit events and {objects} audit objects for {requests_on} audited "
        f"requests ({events / requests_on:.2f} event and {objects / requests_on:.2f} objects per "
        "request: the patient and the study, or for the QIDO search the patient and the query); "
        f"the two tables grew by "
        f"{table_bytes / 1e6:.2f} MB with their indexes, **{table_bytes / requests_on:.0f} bytes "
        f"per request** (1 million requests: {table_bytes / requests_on / 1e3:.2f} GB); the "
        f"JSON lines beside them {jsonl / requests_on:.0f} bytes per request. The server without "
        f"the middleware wrote {off_per_request:.2f} rows per request of the same mix.",
        "",
        "Where the added time goes (each part's median, called in the bench's own process on the "
        "same database right after the rounds):",
        "",
        *[f"- {name}: {ms:.2f} ms" for name, ms in parts.items()],
        "",
        f"Command: `.venv/bin/python -m bench.audit_cost --rounds {args.rounds} "
        f"--studies {args.studies} --seed {args.seed}`",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--studies", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    PRODUCT.recreate(user=USER, password=PASSWORD)
    studies, token = load_studies(args.studies)
    folder = off_settings_module()
    on = PRODUCT.start(args.port, workers=1)
    off_env = ["-e", f"DJANGO_SETTINGS_MODULE={OFF_SETTINGS}", "--pythonpath", str(folder)]
    off = PRODUCT.start(args.port + 1, workers=1, extra=off_env)
    bases = {"on": f"http://127.0.0.1:{args.port}", "off": f"http://127.0.0.1:{args.port + 1}"}
    try:
        run_rounds(bases, token, studies, args.warmup, args.seed + 1)
        before = audit_footprint()
        times = run_rounds(bases, token, studies, args.rounds, args.seed)
        after = audit_footprint()
        # What the server without the middleware writes for the same mix (services may record
        # some events themselves): the check that "off" is off, and a correction of the rows.
        run_rounds({"off": bases["off"]}, token, studies, len(studies), args.seed + 2)
        off_rows = audit_footprint()["events_rows"] - after["events_rows"]
    finally:
        for proc in (on, off):
            proc.terminate()
            proc.wait(timeout=30)
    parts = write_path_parts(studies[0])
    text = report(args, summarise(times), before, after, off_rows, parts)
    print(text)
    if not args.no_readme:
        block_replace("audit_cost", text)


if __name__ == "__main__":
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    main()
