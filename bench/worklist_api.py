"""Worklist API latency with 100,000 studies and 32 concurrent clients (target p95 < 100 ms).

Production shape on this machine: PostgreSQL, gunicorn with uvicorn (ASGI) workers serving
config.asgi. The database gets `--studies` worklist entries (half waiting, half read; 90% scored
by a model, AI-flagged 30%; 5% STAT, 10% ASAP; received over the last 30 days) bulk-inserted as
rows: the rows a site's ingest and scoring would leave, without their DICOM files, which the
worklist API never reads. Then wrk (C, `apt-get install wrk`) keeps `--clients` connections busy,
each request an authenticated GET of one of the queries a radiologist's browser sends (default
page, later pages, filters, searches, other sorts). Two loads:

- readers: each client asks again a random while (exponential, mean `--think-ms`, 1 s) after its
  previous answer: 32 independent open worklists, each re-reading its page about once a second
  (the live list re-reads on every change) -- the target applies here;
- burst: a change reaches all 32 browsers at once and each re-reads its page at the same moment
  (32 threads released together, 20 times, 1 s apart): the time until each answer, and until the
  last one;
- saturation: no pause at all, to find the throughput; on this 2-core machine latency is then
  simply clients / throughput.

Latency percentiles come from wrk's own histogram.

    .venv/bin/python -m bench.worklist_api [--studies 100000] [--clients 32] [--duration 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.asgi_product import AsgiProduct
from bench.readme_blocks import block_replace
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "worklist_api"
PRODUCT = AsgiProduct(database="bench_worklist", work=WORK)
USER, PASSWORD = "bench-reader", "bench-password"

SURNAMES = ["GARCIA", "SMITH", "NGUYEN", "MULLER", "ROSSI", "KOWALSKI", "SATO", "OKAFOR"]
GIVEN = ["ANA", "JOHN", "MEI", "PIOTR", "LUCA", "AMARA", "KENJI", "SOFIA"]

# The queries a reader's browser sends; names are the README's rows.
QUERIES = {
    "first page (priority)": "/api/worklist?limit=50",
    "page 20 (offset 950)": "/api/worklist?limit=50&offset=950",
    "AI flagged only": "/api/worklist?ai=positive&limit=50",
    "STAT, CR only": "/api/worklist?priority=STAT&modality=CR&limit=50",
    "search patient name": "/api/worklist?q=kowalski%5Ep&limit=50",
    "search accession": "/api/worklist?q=ACC0054321&limit=50",
    "sort by waiting time": "/api/worklist?sort=received&limit=50",
    "all statuses by AI probability": "/api/worklist?status=all&sort=-probability&limit=50",
    "received in a date range": "/api/worklist?status=all&received_from={from_}&received_to={to}",
}


def load_rows(studies: int, seed: int = 7) -> None:
    """Bulk-insert patients, studies, scorings and worklist entries (in this process)."""
    PRODUCT.django_setup()
    from django.db import connection
    from django.utils import timezone

    from archive.models import Patient, Study
    from ml.models import ModelVersion
    from triage.models import StudyScoring, WorklistEntry
    from triage.policy import priority_policy
    from triage.priority import ClinicalPriority, place

    rng = random.Random(seed)
    now = timezone.now()
    version = ModelVersion.objects.create(
        task="chest_xray_pneumonia",
        version=1,
        architecture="chest_xray_classifier",
        weights="models/bench/v1.keras",
        weights_sha256="0" * 64,
        input_spec={"image_size": 28, "channels": 1},
        threshold=0.5,
        calibration={"slope": 1.0, "intercept": 0.0},
        metrics={},
        data_snapshot={"source": "bench"},
        is_active=True,
    )
    patients = Patient.objects.bulk_create(
        Patient(
            patient_id=f"PID{n:07d}",
            patient_name=(name := f"{rng.choice(SURNAMES)}^{rng.choice(GIVEN)}^{n}"),
            patient_name_search=name.upper(),
        )
        for n in range(studies * 6 // 10)
    )
    modalities = ["CR"] * 5 + ["DX"] * 3 + ["CT", "MR"]
    rows = []
    for n in range(studies):
        received = now - dt.timedelta(minutes=rng.uniform(0, 30 * 24 * 60))
        rows.append(
            Study(
                study_instance_uid=f"1.2.826.0.1.3680043.10.9999.{n}",
                patient=rng.choice(patients),
                study_date=received.date(),
                accession_number=f"ACC{n:07d}",
                study_description="CHEST PA",
                modalities_in_study=rng.choice(modalities),
                num_series=1,
                num_instances=1,
                status=Study.Status.STABLE,
                last_instance_at=received,
                stable_at=received,
            )
        )
    created = Study.objects.bulk_create(rows, batch_size=5000)
    # received_at is auto_now_add: set it afterwards, from the stable time.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_study SET received_at = stable_at")
    scorings, entries = [], []
    policy = priority_policy()
    for study in created:
        clinical = ClinicalPriority(rng.choices(["STAT", "ASAP", "ROUTINE"], [5, 10, 85])[0])
        scored = rng.random() < 0.9
        positive = scored and rng.random() < 0.3
        urgency = (rng.uniform(0.5, 1) if positive else rng.uniform(0, 0.5)) if scored else None
        scoring = StudyScoring(
            study=study,
            model_version=version,
            status="done" if scored else "not_applicable",
            num_instances=1,
            attempts=1,
            queued_at=study.stable_at,
            finished_at=study.stable_at,
            probability=urgency,
            urgency=urgency,
            positive=positive if scored else None,
            threshold=0.5,
        )
        scorings.append(scoring)
        with_ai = place(
            arrived_at=study.stable_at,
            clinical_priority=clinical,
            clinical_reason="bench",
            urgency=urgency,
            ai_note="bench",
            policy=policy,
        )
        fifo = place(
            arrived_at=study.stable_at,
            clinical_priority=clinical,
            clinical_reason="bench",
            urgency=None,
            ai_note=None,
            policy=policy,
        )
        read = rng.random() < 0.5
        entries.append(
            WorklistEntry(
                study=study,
                status="read" if read else "waiting",
                clinical_priority=clinical,
                clinical_reason=f"{clinical} (bench)",
                modality=study.modalities_in_study,
                received_at=study.stable_at,
                stable_at=study.stable_at,
                scored_at=study.stable_at if scored else None,
                first_opened_at=study.stable_at + dt.timedelta(minutes=20) if read else None,
                read_at=study.stable_at + dt.timedelta(minutes=25) if read else None,
                due_at=with_ai.due_at,
                reasons=with_ai.reasons,
                fifo_due_at=fifo.due_at,
                fifo_reasons=fifo.reasons,
                ai_status=("positive" if positive else "negative") if scored else "not_applicable",
                ai_note="bench",
                ai_sort_key=urgency if urgency is not None else -1.0,
            )
        )
    StudyScoring.objects.bulk_create(scorings, batch_size=5000)
    for entry, scoring in zip(entries, scorings, strict=True):
        entry.scoring = scoring
    WorklistEntry.objects.bulk_create(entries, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def session_cookie(base: str) -> str:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=10)
    session.post(
        f"{base}/accounts/login/",
        data={
            "username": USER,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    return session.cookies["sessionid"]


WRK_SCRIPT = """
local paths = PATHS
local n = 0
delay = function()
  if THINK == 0 then return 0 end
  return -math.log(1 - math.random()) * THINK
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {["Cookie"] = "sessionid=COOKIE"})
end
done = function(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests": %d, "errors": %d, "non2xx": %d, '
    .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "seconds": %.2f}\\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.duration / 1e6))
end
"""


def run_wrk(
    base: str, cookie: str, paths: list[str], clients: int, seconds: int, think_ms: int = 0
) -> dict:
    lua = WRK_SCRIPT.replace("PATHS", "{" + ", ".join(json.dumps(p) for p in paths) + "}")
    lua = lua.replace("THINK", str(think_ms))
    script = WORK / "queries.lua"
    script.write_text(lua.replace("COOKIE", cookie))
    threads = min(2, clients)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds of each mixed run")
    parser.add_argument("--per-query", type=int, default=10, help="seconds for each query alone")
    parser.add_argument("--think-ms", type=int, default=1000, help="readers' pause per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        started = time.monotonic()
        PRODUCT.recreate(user=USER, password=PASSWORD)
        load_rows(args.studies)
        print(f"loaded {args.studies} studies in {time.monotonic() - started:.0f} s")
    today = dt.date.today()
    paths = {
        name: path.format(from_=today - dt.timedelta(days=7), to=today - dt.timedelta(days=6))
        for name, path in QUERIES.items()
    }
    base = f"http://127.0.0.1:{args.port}"
    # Readers pause up to several seconds between requests; keep their connections open, as a
    # proxy in front of the product would.
    server = PRODUCT.start(args.port, workers=args.workers, extra=["--keep-alive", "75"])
    try:
        cookie = session_cookie(base)
        for path in paths.values():  # every query answers 200 before it is timed
            response = requests.get(base + path, cookies={"sessionid": cookie}, timeout=30)
            response.raise_for_status()
        every = list(paths.values())
        run_wrk(base, cookie, every, args.clients, 5)  # warm-up (and psycopg prepares)
        mixed = run_wrk(base, cookie, every, args.clients, args.duration, args.think_ms)
        alone = {
            name: run_wrk(base, cookie, [path], args.clients, args.per_query, args.think_ms)
            for name, path in paths.items()
        }
        saturated = run_wrk(base, cookie, every, args.clients, args.duration)
        burst = run_bursts(base, cookie, paths["first page (priority)"], args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, mixed, alone, saturated, burst)


def run_bursts(base: str, cookie: str, path: str, clients: int, bursts: int = 20) -> dict:
    """All clients ask for `path` at the same instant, `bursts` times; latencies in ms."""
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:  # connected and warm before the first burst
        session.cookies.set("sessionid", cookie)
        session.get(base + path, timeout=30).raise_for_status()
    latencies: list[float] = []
    lasts: list[float] = []
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(bursts):
            gate = threading.Barrier(clients)

            def one(session: requests.Session, gate: threading.Barrier = gate) -> float:
                gate.wait()
                started = time.perf_counter()
                session.get(base + path, timeout=30).raise_for_status()
                return (time.perf_counter() - started) * 1000

            times = list(pool.map(one, sessions))
            latencies += times
            lasts.append(max(times))
            time.sleep(1)
    return {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "last_p50_ms": percentile(lasts, 50),
    }


def report(
    args: argparse.Namespace, mixed: dict, alone: dict[str, dict], saturated: dict, burst: dict
) -> None:
    met = "met" if mixed["p95_ms"] < 100 and mixed["non2xx"] == 0 else "NOT met"
    lines = [
        f"Worklist API, {args.studies:,} studies (half waiting), {args.clients} concurrent "
        f"clients (PostgreSQL, gunicorn + {args.workers} uvicorn workers, wrk; one 2-core machine "
        f"runs server, database and load generator). Readers: each client asks again after a "
        f"random pause (exponential, mean {args.think_ms} ms). Target p95 < 100 ms (readers, "
        f"mix): **{met}**.",
        "",
        "| load | queries | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
        _row("readers", "**mix of all below**", mixed),
    ]
    lines += [_row("readers", name, result) for name, result in alone.items()]
    lines += [
        _row("saturation (no pause)", "mix", saturated),
        "",
        f"Burst: {args.clients} browsers re-read the first page at the same instant (20 times): "
        f"each answer p50 {burst['p50_ms']:.0f} ms, p95 {burst['p95_ms']:.0f} ms; the last of "
        f"the {args.clients} answers after {burst['last_p50_ms']:.0f} ms (median burst).",
        "",
        f"Command: `.venv/bin/python -m bench.worklist_api --studies {args.studies} "
        f"--clients {args.clients} --duration {args.duration} --workers {args.workers} "
        f"--think-ms {args.think_ms}`",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    block_replace("worklist_api", markdown)


def _row(load: str, name: str, result: dict) -> str:
    errors = result["errors"] + result["non2xx"]
    return (
        f"| {load} | {name} | {result['rps']:.0f} | {result['p50_ms']:.1f} | "
        f"{result['p95_ms']:.1f} | {result['p99_ms']:.1f} | {errors} |"
    )


if __name__ == "__main__":
    main()
