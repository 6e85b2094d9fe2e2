"""Where our server's time goes: `python -m bench.profile_ours stow-1|stow-10|frame|series`.

Not part of the benchmark run. Starts our server as the benchmark does, warms it, runs one
workload while py-spy (`pip install py-spy` into the venv) samples every gunicorn worker, then
prints the server CPU per unit split into gunicorn and PostgreSQL backends, and the share of
request-handling samples per stage. Raw py-spy output goes to bench/results/profile_<what>.txt.
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
    ("DB: index transaction", ("_index (archive",)),
    ("DB: stability claim after commit", ("stability.py",)),
    ("multipart request body", ("iter_parts (archive",)),
    ("DB: selectors", ("archive/selectors.py",)),
    ("read files, write response", ("multipart_response", "gunicorn/util.py", "stored_pixels")),
)  # fmt: skip


def stage_shares(raw_profile: Path) -> dict[str, float]:
    """Share of samples taken while a gunicorn thread was handling a request, per stage."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw_profile.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not any("ThreadWorker.handle " in f for f in frames):
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
    if what == "frame":
        requests = queries.frame_requests(data["frame"], 300)
    else:
        requests = queries.series_requests(data["series"], 100)
    return {"workload": "timed_gets", **base, "requests": requests}, len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=("stow-1", "stow-10", "frame", "series"))
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
        base = {"root": ours.dicomweb_root, "headers": ours.headers}
        fixtures = [data["frame"]["path"], *data["series"]["paths"]]
        workloads.stow({**base, "files": fixtures, "per_request": 21, "clients": 1})
        workloads.warm({**base, "path": "/studies?limit=1", "threads": 16, "per_thread": 4})
        spec, units = workload(args.what, data, base)
        gunicorn_before = cpu.cpu_seconds(ours.pids())
        postgres_before = cpu.cpu_seconds(cpu.postgres_backends(DB_NAME))
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(ours.server_pid), "--subprocesses", "--nonblocking",
             "--format", "raw", "--rate", "250", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(2)  # py-spy attaches to each worker
        started = time.perf_counter()
        getattr(workloads, spec.pop("workload"))(spec)
        elapsed = time.perf_counter() - started
        spy.send_signal(signal.SIGINT)
        spy.wait()
        total = cpu.used_between(gunicorn_before, cpu.cpu_seconds(ours.pids()))
        postgres = cpu.used_between(
            postgres_before, cpu.cpu_seconds(cpu.postgres_backends(DB_NAME))
        )
    finally:
        ours.stop()
        ours.drop()
        shutil.rmtree(work / "profile", ignore_errors=True)
    print(f"{args.what}: {units} units in {elapsed:.1f} s under py-spy")
    print(f"server CPU per unit: {1000 * total / units:.1f} ms, of which PostgreSQL backends "
          f"{1000 * postgres / units:.1f} ms")  # fmt: skip
    print("share of request-handling samples (wall time, waits on PostgreSQL included):")
    for stage, share in stage_shares(out).items():
        print(f"  {100 * share:5.1f}%  {stage}")


if __name__ == "__main__":
    main()
