"""Where our server's time goes: `python -m bench.profile_ours stow-1|stow-10|frame|series|cstore`.

Not part of the benchmark run. Starts our server as the benchmark does, warms it, runs one
workload while py-spy (`pip install py-spy` into the venv) samples every gunicorn worker (or the
DICOM listener), then prints the server CPU per unit with the PostgreSQL backends' part, and the
share of samples per stage. Raw py-spy output goes to bench/results/profile_<what>.txt.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import cpu, queries, workloads
from bench.ours import DB_NAME, REPO, Ours

# (stage, substrings of a frame): a sample goes to the first stage with a frame on its stack.
STAGES = (
    ("auth + permission queries", ("rest_framework/authentication", "django/contrib/auth")),
    ("Celery apply_async (Redis)", ("celery/app",)),
    ("parse: DICOM JSON metadata", ("_metadata_json (archive",)),
    ("parse: read header, attributes, frame index", ("parse_instance (archive",)),
    ("sha256", ("_sha256 (archive",)),
    ("store file", ("_store_file (archive",)),
    ("DB: duplicate check", ("_existing (archive",)),
    ("DB: index transaction", ("_index (archive", "index_writes.py")),
    ("DB: stability claim after commit", ("stability.py",)),
    ("multipart request body", ("iter_parts (archive",)),
    ("DB: selectors", ("archive/selectors.py",)),
    ("read files, write response", ("multipart_response", "gunicorn/util.py", "stored_pixels")),
    ("C-STORE: write received data set to a temp file", ("_write_part10",)),
    ("C-STORE: pynetdicom PDU/DIMSE handling", ("pynetdicom/",)),
)  # fmt: skip
# Samples that count: a gunicorn thread handling a request, or any busy listener thread.
ANCHORS = ("ThreadWorker.handle ", "pynetdicom/")


def stage_shares(raw_profile: Path) -> dict[str, float]:
    """Share of samples taken while a gunicorn thread was handling a request, per stage."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw_profile.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not any(anchor in f for f in frames for anchor in ANCHORS):
            continue
        stage = next(
            (name for name, keys in STAGES if any(k in f for f in frames for k in keys)),
            "other request handling (Django, DRF, gunicorn)",
        )
        counts[stage] += int(n)
    total = sum(counts.values()) or 1
    return {stage: n / total for stage, n in counts.most_common()}


def workload(what: str, data: dict[str, Any], base: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The client spec to profile and how many units (instances or requests) it does."""
    if what.startswith("stow"):
        per_request = 10 if what == "stow-10" else 1
        files = data["ingest"]["stow_1c_10i"][:150]
        spec = {**base, "files": files, "per_request": per_request, "clients": 1}
        return {"workload": "stow", **spec}, len(files)
    if what == "cstore":
        visits = sorted({str(Path(f).parents[1]) for f in data["ingest"]["cstore"]})[:3]
        spec = {"folders": visits, "host": "127.0.0.1", "port": base["port"], "ae_title": "TRIAGE"}
        return {"workload": "cstore", **spec}, 150
    if what == "frame":
        requests = queries.frame_requests(data["frame"], 300)
    else:
        requests = queries.series_requests(data["series"], 100)
    return {"workload": "timed_gets", **base, "requests": requests}, len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=("stow-1", "stow-10", "frame", "series", "cstore"))
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(REPO / ".venv" / "bin" / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is needed: .venv/bin/pip install py-spy")
    work = REPO / "bench" / ".work"
    data = json.loads((work / "data" / "manifest.json").read_text())
    out = REPO / "bench" / "results" / f"profile_{args.what}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    ours = Ours(work / "profile")
    ours.prepare()
    ours.start()
    try:
        base = {"root": ours.dicomweb_root, "headers": ours.headers, "port": ours.dicom_port}
        fixtures = [data["frame"]["path"], *data["series"]["paths"]]
        workloads.stow({**base, "files": fixtures, "per_request": 21, "clients": 1})
        workloads.warm({**base, "path": "/studies?limit=1", "threads": 16, "per_thread": 4})
        workloads.stow({**base, "files": data["warmup"], "per_request": 1, "clients": 16})
        target = ours.server_pid
        if args.what == "cstore":
            ours.start_listener()
            folder = str(Path(data["cstore_warmup"][0]).parent)
            warm = {"folders": [folder], "host": "127.0.0.1", "port": ours.dicom_port}
            workloads.cstore({**warm, "ae_title": "TRIAGE"})
            target = ours.listener_pid
        spec, units = workload(args.what, data, base)
        with cpu.Meter(ours.pids) as total, cpu.Meter(lambda: cpu.postgres_backends(DB_NAME)) as pg:
            spy = subprocess.Popen(
                [py_spy, "record", "--pid", str(target), "--subprocesses", "--nonblocking",
                 "--format", "raw", "--rate", "250", "--output", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(2)  # py-spy attaches to each worker
            started = time.perf_counter()
            getattr(workloads, spec.pop("workload"))(spec)
            elapsed = time.perf_counter() - started
            spy.send_signal(signal.SIGINT)
            spy.wait()
    finally:
        ours.stop()
        ours.drop()
        shutil.rmtree(work / "profile", ignore_errors=True)
    print(f"{args.what}: {units} units in {elapsed:.1f} s under py-spy")
    print(f"server CPU per unit: {1000 * total.seconds / units:.1f} ms, of which PostgreSQL "
          f"backends {1000 * pg.seconds / units:.1f} ms")  # fmt: skip
    print("share of request-handling samples (wall time, waits on PostgreSQL included):")
    for stage, share in stage_shares(out).items():
        print(f"  {100 * share:5.1f}%  {stage}")


if __name__ == "__main__":
    main()
