"""The fault scenarios of tests/faults at bench size: acknowledged, retrievable, lost, recovery.

    .venv/bin/python -m bench.faults [--instances 200] [--only redis_stopped ...]

Each scenario runs on a harness of its own (tests/faults/harness.py): its own redis-server and
PostgreSQL cluster on free loopback ports, gunicorn (config.asgi, uvicorn workers), a Celery
worker on the default and inference queues, beat and the DICOM listener, with a small model
trained once per run as the active version. The figures are printed as a table, written to
bench/results/faults.json and put in bench/README.md (Faults). Work files: bench/.work/faults.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "faults"
RESULTS = ROOT / "bench" / "results" / "faults.json"
NAMES = ["redis_stopped", "postgres_restarted", "web_killed", "worker_killed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200, help="instances per scenario")
    parser.add_argument("--only", nargs="*", choices=NAMES, default=NAMES)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["VAR_DIR"] = str(WORK / "var")
    import django

    django.setup()
    from tests.faults.harness import Harness, template_cluster, train_small_model
    from tests.faults.scenarios import SCENARIO_ENV, SCENARIOS, Sizes

    # Four instances a study (three radiographs, one CT); two doors or one study list of twice.
    sizes = Sizes(
        studies_per_door=max(args.instances // 8, 3),
        radiographs=3,
        killed_request_parts=args.instances,
        recovery_timeout=240.0,
    )
    template = template_cluster(WORK)
    model = train_small_model(WORK / "small.keras")
    rows = []
    for name in args.only:
        started = time.monotonic()
        harness = Harness(name, parent=WORK, template=template, env=SCENARIO_ENV.get(name))
        with harness.running(model):
            figures = SCENARIOS[name](harness, sizes)
        rows.append({**asdict(figures), "name": name, "seconds": time.monotonic() - started})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))
    table = markdown(rows, args.instances)
    print(table)
    from bench.readme_blocks import block_replace

    block_replace("faults", table)
    if any(row["problems"] for row in rows):
        sys.exit(1)


def markdown(rows: list[dict], instances: int) -> str:
    lines = [
        f"`python -m bench.faults --instances {instances}`, {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores.",
        "",
        "| Fault | Sent | Acknowledged | Refused | Unanswered (stored) | Retrievable | Lost "
        "| Studies scored once | Recovery | Problems |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        recovery = "-" if row["recovery_seconds"] is None else f"{row['recovery_seconds']:.1f} s"
        if row["answering_seconds"] is not None:
            recovery += f" (answering {row['answering_seconds']:.1f} s)"
        if row["given_back_seconds"] is not None:
            recovery += f" (messages back {row['given_back_seconds']:.1f} s)"
        problems = "; ".join(p.splitlines()[0][:160] for p in row["problems"]) or "none"
        lines.append(
            f"| {row['scenario']} | {row['sent']} | {row['acknowledged']} | {row['refused']} "
            f"| {row['unanswered']} ({row['unanswered_stored']}) | {row['retrievable']} "
            f"| {row['lost']} | {row['scored_once']}/{row['studies']} | {recovery} "
            f"| {problems} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
