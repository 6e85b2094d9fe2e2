"""Latency from STOW-RS of one DX study to its scored place on the worklist, p50/p95.

Runs the product as the run command does (gunicorn, one Celery worker with the default and
inference queues), once on the embedded default (SQLite, SQLite broker) and once on
PostgreSQL + Redis, each in its own fresh VAR_DIR, with a model trained by
`manage.py train_initial_model --epochs 3` (the product's architecture; fewer epochs only make
it less accurate, not faster or slower). The clock runs from just before the STOW-RS request to
the first GET of the study's worklist entry that shows an AI result (polled every 10 ms).

    .venv/bin/python -m bench.scoring_latency [--studies 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import requests
from pydicom import dcmwrite
from pydicom.uid import generate_uid

from bench.readme_blocks import block_replace
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "latency"
PORT = 8791
PG_DB = "bench_latency"
REDIS_URL = "redis://127.0.0.1:6379/13"
SCORED = {"positive", "negative"}


def backends() -> dict[str, dict[str, str]]:
    return {
        "embedded default (SQLite, SQLite broker)": {},
        "PostgreSQL + Redis": {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
            "CELERY_BROKER_URL": REDIS_URL,
        },
    }


def product_env(var_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(VAR_DIR=str(var_dir), LOG_LEVEL="WARNING", **extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@contextmanager
def product(env: dict[str, str], var_dir: Path) -> Iterator[None]:
    logs = var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        "worker": [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,inference",
            "--pool=threads", "--concurrency=2", "--without-gossip", "--without-mingle",
        ],
        "web": [
            sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
            "-w", "2", "--threads", "4",
        ],
    }  # fmt: skip
    procs = []
    for name, command in commands.items():
        with open(logs / f"{name}.log", "wb") as log:
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log))
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def dx_study(n: int) -> bytes:
    """A demo-style DX chest study (a real PneumoniaMNIST image) with fresh UIDs."""
    _django_for_demo_code()
    from archive.services.demo import PNEUMONIA_NPZ, dx_dataset, pneumonia_images

    npz = ROOT.parent / "shared" / "data" / PNEUMONIA_NPZ
    image = list(pneumonia_images(npz_path=npz, count=n + 1))[n]
    ds = dx_dataset(image, today=dt.date.today())
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _django_for_demo_code() -> None:
    """The demo's DX builder lives in the archive app; set Django up (no database is used)."""
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("VAR_DIR", str(WORK / "client-var"))
    sys.path.insert(0, str(ROOT))
    django.setup()


def stow(session: requests.Session, body: bytes, *, port: int = PORT) -> requests.Response:
    """STOW-RS of one instance; the archive's answer."""
    boundary = "bench-boundary"
    payload = (
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return session.post(
        f"http://127.0.0.1:{port}/dicomweb/studies",
        data=payload,
        headers={
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
            "Accept": "application/dicom+json",
        },
        timeout=60,
    )


def until_scored(session: requests.Session, uid: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = session.get(f"http://127.0.0.1:{PORT}/api/worklist/{uid}", timeout=10)
        if response.status_code == 200 and response.json()["ai"]["status"] in SCORED:
            return response.json()
        time.sleep(0.01)
    raise TimeoutError(f"study {uid} not scored within {timeout} s")


def study_uid(body: bytes) -> str:
    from pydicom import dcmread

    return str(dcmread(io.BytesIO(body), stop_before_pixels=True).StudyInstanceUID)


def measure(session: requests.Session, bodies: list[bytes]) -> dict[str, Any]:
    latencies, to_stable, to_scored = [], [], []
    for body in bodies:
        uid = study_uid(body)
        started = time.perf_counter()
        stow(session, body).raise_for_status()
        entry = until_scored(session, uid)
        latencies.append(time.perf_counter() - started)
        received, stable, scored = (
            dt.datetime.fromisoformat(entry[key].replace("Z", "+00:00"))
            for key in ("received_at", "stable_at", "scored_at")
        )
        to_stable.append((stable - received).total_seconds())
        to_scored.append((scored - stable).total_seconds())
    ms = [s * 1000 for s in latencies]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "received_to_stable_ms": float(np.mean(to_stable) * 1000),
        "stable_to_scored_ms": float(np.mean(to_scored) * 1000),
    }


def run_backend(name: str, extra: dict[str, str], count: int, warmup: int) -> dict[str, Any]:
    var_dir = WORK / ("pg" if extra else "embedded")
    shutil.rmtree(var_dir, ignore_errors=True)
    if extra:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", PG_DB])
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", PG_DB], check=True)
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    env = product_env(var_dir, extra)
    manage(env, "migrate", "--noinput", "-v0")
    token = manage(env, "create_user", "bench", "--role", "admin", "--role", "radiologist",
                   "--no-password", "--token").split()[-1]  # fmt: skip
    print(f"[{name}] training a model (3 epochs)…", flush=True)
    manage(env, "train_initial_model", "--epochs", "3")
    bodies = [dx_study(n) for n in range(warmup + count)]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    with product(env, var_dir):
        wait_http(session)
        measure(session, bodies[:warmup])  # loads TensorFlow and the model in the worker
        print(f"[{name}] measuring {count} studies…", flush=True)
        result = measure(session, bodies[warmup:])
    if extra:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", PG_DB])
    return result


def wait_http(session: requests.Session, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if session.get(f"http://127.0.0.1:{PORT}/api/me", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the web server did not answer")


def table(results: dict[str, dict[str, Any]], stability: float, command: str) -> str:
    lines = [
        "## Scoring latency: STOW-RS of one DX study to its scored place on the worklist",
        "",
        f"Command: `{command}`. Stability window {stability:g} s (ARCHIVE_STABILITY_SECONDS); "
        "one Celery worker (threads, concurrency 2) with the default and inference queues; "
        "gunicorn 2 workers x 4 threads; client polls the study's entry every 10 ms.",
        "",
        "| Backend | n | p50 ms | p95 ms | max ms | received->stable ms (mean) "
        "| stable->scored ms (mean) | target p95 < 2000 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        met = "met" if r["p95_ms"] < 2000 else "NOT met"
        lines.append(
            f"| {name} | {r['n']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} "
            f"| {r['received_to_stable_ms']:.0f} | {r['stable_to_scored_ms']:.0f} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studies", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    results = {
        name: run_backend(name, extra, args.studies, args.warmup)
        for name, extra in backends().items()
    }
    stability = float(os.environ.get("ARCHIVE_STABILITY_SECONDS", "1.0"))
    markdown = table(results, stability, "python -m bench.scoring_latency")
    print(markdown)
    (WORK / "latest.json").write_text(json.dumps(results, indent=2))
    if not args.no_readme:
        block_replace("scoring-latency", markdown)


if __name__ == "__main__":
    main()
