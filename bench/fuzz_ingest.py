"""Fuzz the ingest path at length: mutants of the shared files by STOW-RS and C-STORE.

The CI test (tests/fuzz/test_ingest_fuzz.py) sends 450 mutants; this sends as many as asked,
from seed files up to 1 MB, to the product in production shape (gunicorn with config.wsgi on
PostgreSQL, the DICOM listener; bench/ours.py), and counts: mutants sent, acknowledged,
refused by kind of reason, 5xx (and C-STORE processing failures), lost (acknowledged but not
returned byte-identical by WADO-RS), orphans (a stored file without its index row, a row without
its file, a temporary file left behind), and the time taken. The figures go to bench/README.md.

    .venv/bin/python -m bench.fuzz_ingest --mutants 10000 --seed 20261129
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.ours import AE_TITLE, DB_NAME, Ours
from bench.readme_blocks import block_replace
from tests.archive.dicomweb_helpers import reader_session
from tests.fuzz.doors import Tally, cstore_batch, orphans, stow_batch, temp_files
from tests.fuzz.mutations import FUZZ_SEED, Recipe, recipe, unique_uid
from tests.fuzz.seeds import load_seeds

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "fuzz"
RESULTS = ROOT / "bench" / "results"
SHARED_DICOM = ROOT.parent / "shared" / "data" / "dicom"
COMMAND = ".venv/bin/python -m bench.fuzz_ingest --mutants 10000 --seed 20261129"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=FUZZ_SEED)
    parser.add_argument("--batch", type=int, default=20, help="mutants per request/association")
    parser.add_argument("--cstore-every", type=int, default=4, help="every Nth batch: C-STORE")
    parser.add_argument("--max-seed-bytes", type=int, default=1_000_000)
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args()

    seeds = load_seeds(SHARED_DICOM, max_bytes=args.max_seed_bytes)
    ours = Ours(WORK, http_port=8794, dicom_port=11194)
    ours.prepare()
    ours.start()
    ours.start_listener()
    try:
        started = time.monotonic()
        tally = fuzz(ours, seeds, args)
        seconds = time.monotonic() - started
        found = orphans(WORK / "var" / "storage", indexed_files())
        found += [f"temporary file left: {name}" for name in temp_files(WORK / "var" / "tmp")]
        rows = ours.count("archive_instance")
    finally:
        ours.stop()
        ours.drop()
    report = figures(tally, found, rows, seconds, args, len(seeds))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fuzz_ingest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if not args.no_readme:
        block_replace("fuzz-ingest", markdown(report))
    clean = not (tally.server_errors or tally.lost or found) and rows == report["acknowledged"]
    return 0 if clean else 1


def fuzz(ours: Ours, seeds: list, args: argparse.Namespace) -> Tally:  # type: ignore[type-arg]
    """Draw the batches with hypothesis under the fixed seed and send them, never stopping."""
    session = reader_session(ours.token)
    root = ours.dicomweb_root
    tally, counter, batches = Tally(), itertools.count(), itertools.count(1)
    total = (args.mutants + args.batch - 1) // args.batch

    @seed(args.seed)
    @settings(
        max_examples=total,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(recipe(seeds), min_size=args.batch, max_size=args.batch))
    def batch(recipes: list[Recipe]) -> None:
        number = next(batches)
        if number > total:
            return  # hypothesis may call once more than asked; the count is the contract
        cstore = number % args.cstore_every == 0
        mutants = [r.build(unique_uid(next(counter), 3 if cstore else 4)) for r in recipes]
        if cstore:
            cstore_batch(session, root, ours.dicom_port, AE_TITLE, mutants, tally)
        else:
            stow_batch(session, root, mutants, tally)
        if number % 50 == 0:
            print(f"batch {number}/{total}: {tally.summary().splitlines()[0]}", flush=True)

    batch()
    return tally


def indexed_files() -> set[str]:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}") as conn:
        return {row[0] for row in conn.execute("SELECT file FROM archive_instance")}


def figures(
    tally: Tally,
    found: list[str],
    rows: int,
    seconds: float,
    args: argparse.Namespace,
    seeds: int,
) -> dict[str, object]:
    return {
        "command": COMMAND,
        "seed": args.seed,
        "seed_files": seeds,
        "mutants": sum(tally.sent.values()) + tally.not_sent,
        "sent": dict(tally.sent),
        "not_sendable_by_c_store": tally.not_sent,
        "acknowledged": sum(tally.acknowledged.values()),
        "acknowledged_by_door": dict(tally.acknowledged),
        "refused": sum(tally.refused.values()),
        "refused_by_reason": dict(tally.refused.most_common()),
        "server_errors": len(tally.server_errors),
        "server_error_samples": tally.server_errors[:10],
        "lost": len(tally.lost),
        "lost_samples": tally.lost[:10],
        "orphans": len(found),
        "orphan_samples": found[:10],
        "index_rows": rows,
        "seconds": round(seconds, 1),
    }


def markdown(report: dict) -> str:  # type: ignore[type-arg]
    refused = report["refused_by_reason"]
    lines = [
        f"`{report['command']}` ({report['seed_files']} seed files up to 1 MB; "
        f"{report['seconds']:.0f} s on this machine's 2 cores)",
        "",
        "| Mutants | Acknowledged | Refused | 5xx | Lost | Orphans | Seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {report['mutants']:,} | {report['acknowledged']:,} | {report['refused']:,} | "
        f"{report['server_errors']} | {report['lost']} | {report['orphans']} | "
        f"{report['seconds']:.0f} |",
        "",
        f"Sent by STOW-RS {report['sent'].get('stow', 0):,}, by C-STORE "
        f"{report['sent'].get('c-store', 0):,}; {report['not_sendable_by_c_store']:,} had File "
        "Meta too broken for a C-STORE client to propose. Refusals by reason (first words):",
        "",
        "| Refusals | Reason |",
        "|---:|---|",
    ]
    lines += [f"| {n:,} | {reason} |" for reason, n in list(refused.items())[:20]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
