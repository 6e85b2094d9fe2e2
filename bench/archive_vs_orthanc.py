"""Run the whole archive-vs-Orthanc benchmark: `.venv/bin/python -m bench.archive_vs_orthanc`.

Starts both servers fresh, measures STOW-RS and C-STORE ingest, QIDO-RS and WADO-RS latency on
the same files, writes bench/results/<timestamp>.json and latest.json, and regenerates the table
in bench/README.md. Needs root (for the network namespace that holds Orthanc).

Each workload is cut into blocks run alternately (Orthanc then ours, ours then Orthanc, ...), so
that a change in background load during the run falls on both servers alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import cpu, queries, report, stats
from bench.dataset import Dataset, ensure_dataset
from bench.orthanc import Orthanc, netns_prefix
from bench.ours import PYTHON, REPO, Ours

BENCH = REPO / "bench"
INGEST_SCENARIOS = {  # set name -> (clients, instances per request)
    "stow_1c_1i": (1, 1),
    "stow_1c_10i": (1, 10),
    "stow_4c_1i": (4, 1),
    "stow_4c_10i": (4, 10),
}
CSTORE_SET = "cstore"
SIDES = ("orthanc", "ours")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--work", type=Path, default=BENCH / ".work")
    parser.add_argument(
        "--visits-per-set",
        type=int,
        default=6,
        help="50-instance visits per ingest scenario (default 6 = 300 instances)",
    )
    parser.add_argument("--ingest-blocks", type=int, default=3)
    parser.add_argument("--qido-studies", type=int, default=10_000)
    parser.add_argument("--qido-rounds", type=int, default=60, help="rounds of the 6-query mix")
    parser.add_argument("--frame-requests", type=int, default=300)
    parser.add_argument("--series-requests", type=int, default=40)
    parser.add_argument("--latency-blocks", type=int, default=4)
    parser.add_argument("--gunicorn-args", default="-w 4 --threads 4 --timeout 300")
    parser.add_argument("--keep", action="store_true", help="keep both servers' stored data")
    parser.add_argument(
        "--no-readme",
        action="store_true",
        help="exploratory run: neither bench/README.md nor results/latest.json is rewritten",
    )
    return parser.parse_args(argv)


def chunks(items: list[Any], count: int) -> list[list[Any]]:
    size = -(-len(items) // count)
    return [items[i : i + size] for i in range(0, len(items), size)]


class Runner:
    """Holds both servers and runs each workload against each, the same way."""

    def __init__(self, args: argparse.Namespace, data: Dataset) -> None:
        self.args = args
        self.data = data
        self.ours = Ours(args.work / "ours", gunicorn_args=shlex.split(args.gunicorn_args))
        self.orthanc = Orthanc(args.work / "orthanc")
        self.results: dict[str, Any] = {}
        self.notes: list[str] = []

    # --- plumbing ----------------------------------------------------------------------------
    def client(self, side: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Run one workload in a client process: ours beside us, Orthanc's in its namespace."""
        if side == "ours":
            spec = {"root": self.ours.dicomweb_root, "headers": self.ours.headers, **spec}
            prefix: list[str] = []
        else:
            spec = {"root": self.orthanc.dicomweb_root, **spec}
            prefix = netns_prefix()
        with cpu.Meter(lambda: self.server_pids(side)) as meter:
            result = subprocess.run(
                [*prefix, PYTHON, "-m", "bench.workloads"],
                cwd=REPO,
                input=json.dumps(spec),
                capture_output=True,
                text=True,
            )
        if result.returncode != 0:
            raise RuntimeError(f"{side} {spec['workload']} client failed:\n{result.stderr[-3000:]}")
        answer: dict[str, Any] = json.loads(result.stdout)
        answer["server_cpu_s"] = meter.seconds
        answer["loadavg_1m"] = round(os.getloadavg()[0], 2)
        return answer

    def server_pids(self, side: str) -> list[int]:
        if side == "orthanc":
            return [self.orthanc.process.pid] if self.orthanc.process else []
        return self.ours.pids()

    def compare(
        self,
        blocks: list[dict[str, Any]],
        merge: Callable[[list[dict[str, Any]]], dict[str, Any]],
        *,
        ours_extra: dict[str, Any] | None = None,
        orthanc_extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Each block on both servers, alternating which goes first; merged per server."""
        extra = {"ours": ours_extra or {}, "orthanc": orthanc_extra or {}}
        raw: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
        for i, block in enumerate(blocks):
            for side in SIDES if i % 2 == 0 else SIDES[::-1]:
                raw[side].append(self.client(side, {**block, **extra[side]}))
        return {side: merge(raw[side]) for side in SIDES}

    def warm(self) -> None:
        """Short connections from 16 threads at once: every gunicorn worker and thread serves."""
        for side in SIDES:
            spec = {"workload": "warm", "path": "/studies?limit=1", "threads": 16}
            self.client(side, {**spec, "per_thread": 4})

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    # --- phases ------------------------------------------------------------------------------
    def start(self) -> None:
        self.log("starting Orthanc in netns 'bench' and our gunicorn")
        self.orthanc.start()
        self.ours.prepare()
        self.ours.start()
        self.warm()

    def seed_qido(self) -> None:
        files = self.data.qido_files
        self.log(f"seeding {len(files)} studies into both (STOW, 50/request, 4 clients)")
        spec = {"workload": "stow", "files": files, "per_request": 50, "clients": 4}
        seeded = self.compare([spec], stats.merge_ingest)
        seeded["orthanc"]["studies_in_server"] = self.orthanc.statistics()["CountStudies"]
        seeded["ours"]["studies_in_server"] = self.ours.count("archive_study")
        self.results["qido_seed"] = seeded

    def ours_supports(self, what: str, request: dict[str, Any]) -> bool:
        """Probe an endpoint of ours that may not exist yet; note why when it fails."""
        probe = self.client("ours", {"workload": "timed_gets", "requests": [request]})
        if probe["error_count"]:
            self.notes.append(f"{what}: ours is not available ({probe['errors'][0][:200]})")
        return probe["error_count"] == 0

    def measure_latency(
        self, key: str, what: str, blocks: list[list[dict[str, Any]]], warmup: int
    ) -> None:
        """Time each block's requests (after `warmup` untimed ones) on each server, 1 client."""
        if not self.ours_supports(what, blocks[0][0]):
            return
        timed = sum(len(b) - warmup for b in blocks)
        self.log(f"{what}: {timed} timed requests in {len(blocks)} blocks, 1 client")
        self.warm()
        specs = [{"workload": "timed_gets", "requests": b, "warmup": warmup} for b in blocks]
        self.results[key] = self.compare(specs, stats.merge_gets)

    def measure_qido(self) -> None:
        n = self.args.latency_blocks
        per_block = -(-self.args.qido_rounds // n) + 1  # the first round of a block is warm-up
        blocks = [
            queries.qido_requests(self.data.qido_studies, per_block, seed=i) for i in range(n)
        ]
        self.measure_latency("qido", "QIDO-RS", blocks, warmup=len(queries.QIDO_LABELS))

    def measure_wado(self) -> None:
        self.log("WADO-RS: storing the CT frame instance and the 20-instance MR series")
        files = [self.data.frame["path"], *self.data.series["paths"]]
        self.compare(
            [{"workload": "stow", "files": files, "per_request": 21, "clients": 1}],
            stats.merge_ingest,
        )
        n = self.args.latency_blocks
        frames = -(-self.args.frame_requests // n) + 5
        frame_blocks = [queries.frame_requests(self.data.frame, frames)] * n
        self.measure_latency("wado_frame", "WADO-RS frame", frame_blocks, warmup=5)
        series = -(-self.args.series_requests // n) + 2
        series_blocks = [queries.series_requests(self.data.series, series)] * n
        self.measure_latency("wado_series", "WADO-RS series", series_blocks, warmup=2)

    def measure_stow(self) -> None:
        self.log("STOW-RS warm-up (40 new one-instance studies, 16 clients)")
        self.warm()
        warmup = {"workload": "stow", "files": self.data.warmup, "per_request": 1, "clients": 16}
        self.compare([warmup], stats.merge_ingest)
        for name, (clients, per_request) in INGEST_SCENARIOS.items():
            files = self.data.ingest[name]
            self.log(
                f"STOW-RS {name}: {len(files)} instances, {clients} client(s), "
                f"{per_request}/request, {self.args.ingest_blocks} blocks"
            )
            spec = {"workload": "stow", "per_request": per_request, "clients": clients}
            blocks = [{**spec, "files": f} for f in chunks(files, self.args.ingest_blocks)]
            self.results[name] = self.compare(blocks, stats.merge_ingest)

    def measure_cstore(self) -> None:
        if not self.ours.has_listener():
            self.notes.append("C-STORE: our `manage.py dicom_listener` does not exist yet")
            return
        self.ours.start_listener()
        visits = sorted({str(Path(f).parents[1]) for f in self.data.ingest[CSTORE_SET]})
        blocks = [
            {"workload": "cstore", "folders": group, "host": "127.0.0.1"}
            for group in chunks(visits, self.args.ingest_blocks)
        ]
        targets = {
            "ours_extra": {"port": self.ours.dicom_port, "ae_title": "TRIAGE"},
            "orthanc_extra": {"port": self.orthanc.dicom_port, "ae_title": "ORTHANC"},
        }
        self.log("C-STORE warm-up (10 new one-instance studies)")
        folder = str(Path(self.data.cstore_warmup[0]).parent)
        warmup = {"workload": "cstore", "folders": [folder], "host": "127.0.0.1"}
        self.compare([warmup], stats.merge_ingest, **targets)
        count = len(self.data.ingest[CSTORE_SET])
        self.log(f"C-STORE: storescu, {count} files, one association per block of folders")
        before = self._instance_counts()
        result = self.compare(blocks, stats.merge_ingest, **targets)
        after = self._instance_counts()
        for side in SIDES:
            result[side]["stored"] = after[side] - before[side]
        self.results["cstore"] = result

    def _instance_counts(self) -> dict[str, int]:
        return {
            "ours": self.ours.count("archive_instance"),
            "orthanc": self.orthanc.statistics()["CountInstances"],
        }

    def stop(self) -> None:
        self.ours.stop()
        self.orthanc.stop()
        if not self.args.keep:
            self.ours.drop()
            for sub in ("ours", "orthanc"):
                subprocess.run(["rm", "-rf", str(self.args.work / sub)], check=False)


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    mem_kib = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    uncommitted = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "archive", "config", "accounts"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(int(mem_kib) / 2**20, 1),
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
        "storescu": _first_line(["storescu", "--version"]),
        "git_head": _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "uncommitted_server_files": len(uncommitted),
    }


def _first_line(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if result.returncode == 0 and lines else "?"


def run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([".venv/bin/python -m bench.archive_vs_orthanc", *argv]),
        "machine": machine(),
        "loadavg_start": os.getloadavg(),
    }
    print("generating / loading the data set under", args.work, flush=True)
    data = ensure_dataset(
        args.work,
        ingest_sets=[*INGEST_SCENARIOS, CSTORE_SET],
        visits_per_set=args.visits_per_set,
        qido_studies=args.qido_studies,
    )
    runner = Runner(args, data)
    try:
        runner.start()
        meta["versions"] = runner.orthanc.versions()
        phases = [runner.seed_qido, runner.measure_qido, runner.measure_wado]
        for phase in [*phases, runner.measure_stow, runner.measure_cstore]:
            try:
                phase()
            except RuntimeError as exc:  # one broken endpoint must not lose the other figures
                runner.log(f"{phase.__name__} failed: {exc}")
                runner.notes.append(f"{phase.__name__} failed: {str(exc)[:300]}")
    finally:
        runner.stop()
    meta.update(
        loadavg_end=os.getloadavg(),
        total_s=round(time.perf_counter() - started, 1),
        ours_config={
            "gunicorn": f"config.wsgi -b 127.0.0.1:{runner.ours.http_port} {args.gunicorn_args}",
            "celery_worker": "none",
        },
        orthanc_config=runner.orthanc.config(),
        notes=runner.notes,
    )
    return {"meta": meta, "results": runner.results}


def main() -> None:
    argv = sys.argv[1:]
    args = parse_args(argv)
    document = run(args, [shlex.quote(a) for a in argv])
    path = report.save(document, BENCH / "results", latest=not args.no_readme)
    if not args.no_readme:
        report.update_readme(document, BENCH / "README.md")
    print(report.render_table(document))
    print(f"results: {path}  ({document['meta']['total_s']} s)")


if __name__ == "__main__":
    main()
