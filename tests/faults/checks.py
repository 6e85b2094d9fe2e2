"""What every fault run must show once the product has recovered, and its figures.

- every acknowledged instance is retrievable by WADO-RS, byte-identical to what was sent;
- every refused one is absent (not indexed; WADO-RS 404);
- an unanswered one is either absent or retrievable whole;
- after one storage sweep, no file without its index row, no spooled temp file, no row without its
  file;
- every stored study is scored exactly once by the active model, over all its instances;
- how long recovery took: from the end of the fault to every study scored.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

from tests.faults.clients import ACKNOWLEDGED, REFUSED, UNANSWERED, Ledger, Outcome
from tests.faults.harness import Harness
from tests.processes import wait_until

# The stored bytes, as sent: a plain type="application/dicom" would get the default syntax (Explicit
# VR Little Endian, decoded from a compressed original) and no longer compare byte for byte.
STORE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
SCORED = ("done", "not_applicable")


@dataclass
class Figures:
    scenario: str
    sent: int = 0
    acknowledged: int = 0
    refused: int = 0
    unanswered: int = 0
    unanswered_stored: int = 0
    retrievable: int = 0  # acknowledged and retrievable byte-identical
    lost: int = 0  # acknowledged and not retrievable byte-identical
    studies: int = 0
    scored_once: int = 0
    recovery_seconds: float | None = None  # fault end to every study scored
    answering_seconds: float | None = None  # fault end to the web server answering again
    given_back_seconds: float | None = None  # fault end to a dead worker's messages given back
    sweep: dict[str, int] = field(default_factory=dict)
    by_door: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = ""
        if self.answering_seconds is not None:
            extra += f", answering again after {self.answering_seconds:.1f} s"
        if self.given_back_seconds is not None:
            extra += f", its messages given back after {self.given_back_seconds:.1f} s"
        return (
            f"fault figures: {self.scenario}: sent {self.sent}, acknowledged {self.acknowledged}, "
            f"refused {self.refused}, unanswered {self.unanswered} "
            f"({self.unanswered_stored} stored), retrievable {self.retrievable}, lost {self.lost}, "
            f"studies scored once {self.scored_once}/{self.studies}, "
            f"recovery {_seconds(self.recovery_seconds)}{extra}"
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def verify(
    harness: Harness,
    ledger: Ledger,
    figures: Figures,
    *,
    fault_end: float,
    recovery_timeout: float = 75.0,
) -> Figures:
    """Wait for recovery, sweep storage once, then check everything; the figures (with what the
    scenario found already) say what was found, `problems` empty when all held."""
    _count(figures, ledger)
    figures.recovery_seconds = _recovery(harness, fault_end, recovery_timeout, figures)
    figures.problems += harness.crashes
    figures.sweep = _storage_sweep(harness, figures)
    _storage_matches_index(harness, figures)
    _retrieval(harness, ledger, figures)
    _scored_once(harness, figures)
    return figures


def record(harness: Harness, figures: Figures) -> Figures:
    """Print the scenario's figures on one line and add them to VAR_DIR/faults.json."""
    print(figures.line())
    with open(harness.var_dir / "faults.json", "a") as out:
        out.write(json.dumps(asdict(figures)) + "\n")
    return figures


def _count(figures: Figures, ledger: Ledger) -> None:
    outcomes = ledger.of()
    figures.sent = len(outcomes)
    figures.acknowledged = len(ledger.of(ACKNOWLEDGED))
    figures.refused = len(ledger.of(REFUSED))
    figures.unanswered = len(ledger.of(UNANSWERED))
    for door in sorted({o.door for o in outcomes}):
        figures.by_door[door] = {
            answer: len(ledger.of(answer, door)) for answer in (ACKNOWLEDGED, REFUSED, UNANSWERED)
        }


def unscored_studies(harness: Harness) -> list[str] | None:
    """UIDs of stored studies not yet scored by the active model over all their instances (None
    while nothing is stored)."""
    studies = harness.sql("SELECT count(*) FROM archive_study")[0][0]
    if not studies:
        return None
    rows = harness.sql(
        "SELECT s.study_instance_uid FROM archive_study s WHERE NOT EXISTS ("
        " SELECT 1 FROM triage_studyscoring sc WHERE sc.study_id = s.id"
        " AND sc.model_version_id = %s AND sc.status IN ('done', 'not_applicable')"
        " AND sc.num_instances = s.num_instances)",
        harness.model_version_id,
    )
    return [uid for (uid,) in rows]


def _recovery(harness: Harness, fault_end: float, timeout: float, figures: Figures) -> float | None:
    import psycopg

    left: list[str] | None = None

    def all_scored() -> bool:
        nonlocal left
        harness.revive()
        left = unscored_studies(harness)
        return left == []

    try:
        wait_until(
            all_scored,
            what="every study scored",
            timeout=timeout,
            interval=0.2,
            ignoring=(psycopg.OperationalError,),
        )
    except AssertionError:
        figures.problems.append(
            f"{len(left or [])} stored studies were not scored within {timeout:.0f} s of the "
            f"fault's end (see worker.log and beat.log in {harness.var_dir})"
        )
        return None
    return time.monotonic() - fault_end


def _storage_sweep(harness: Harness, figures: Figures) -> dict[str, int]:
    """One run of the product's storage sweep (`archive.services.storage_sweep`), with no grace:
    nothing is in flight any more."""
    try:
        return harness.django("storage_sweep()")
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1]
        figures.problems.append(f"the storage sweep could not run: {reason}")
        return {}


def _storage_matches_index(harness: Harness, figures: Figures) -> None:
    storage = harness.var_dir / "storage"
    indexed = {name for (name,) in harness.sql("SELECT file FROM archive_instance")}
    present = {
        str(path.relative_to(storage)) for path in (storage / "dicom").rglob("*") if path.is_file()
    }
    orphans = sorted(present - indexed)
    missing = sorted(indexed - present)
    temp = sorted(p.name for p in (harness.var_dir / "tmp").iterdir())
    if orphans:
        figures.problems.append(f"{len(orphans)} stored files have no index row: {orphans[:3]}")
    if missing:
        figures.problems.append(f"{len(missing)} index rows have no file: {missing[:3]}")
    if temp:
        figures.problems.append(f"{len(temp)} temp files outlived the sweep: {temp[:3]}")


def _retrieval(harness: Harness, ledger: Ledger, figures: Figures) -> None:
    stored = {uid for (uid,) in harness.sql("SELECT sop_instance_uid FROM archive_instance")}
    session = harness.session()
    lost: list[str] = []
    for outcome in ledger.of():
        uid = outcome.instance.sop_uid
        if outcome.answer == REFUSED:
            status = _get(session, harness, outcome).status_code
            if uid in stored or status != 404:
                figures.problems.append(
                    f"{outcome.door} refused {uid} ({outcome.detail}), yet it is stored "
                    f"(WADO-RS {status})"
                )
            continue
        if outcome.answer == UNANSWERED and uid not in stored:
            continue
        same = _retrieved_identical(session, harness, outcome)
        if outcome.answer == ACKNOWLEDGED:
            figures.retrievable += same
            if not same:
                lost.append(f"{uid} ({outcome.door}, {outcome.detail})")
        else:
            figures.unanswered_stored += 1
            if not same:
                figures.problems.append(f"{uid}, unanswered but indexed, is not retrievable whole")
    figures.lost = len(lost)
    if lost:
        figures.problems.append(f"{len(lost)} acknowledged instances lost: {lost[:3]}")


def _get(session: requests.Session, harness: Harness, outcome: Outcome) -> requests.Response:
    i = outcome.instance
    url = (
        f"{harness.base_url}/dicomweb/studies/{i.study_uid}/series/{i.series_uid}"
        f"/instances/{i.sop_uid}"
    )
    return session.get(url, headers={"Accept": STORE_ACCEPT}, timeout=30)


def _retrieved_identical(session: requests.Session, harness: Harness, outcome: Outcome) -> bool:
    """STOW-RS keeps the file as sent; C-STORE keeps the data set as sent (under the listener's
    own File Meta, as every C-STORE SCP writes it)."""
    from tests.archive.dicomweb_helpers import multipart_parts
    from tests.archive.test_cstore import dataset_bytes

    response = _get(session, harness, outcome)
    if response.status_code != 200:
        return False
    parts = multipart_parts(response)
    if len(parts) != 1:
        return False
    body, sent = parts[0][1], outcome.instance.data
    if outcome.door == "C-STORE":
        return dataset_bytes(body) == dataset_bytes(sent)
    return body == sent


def _scored_once(harness: Harness, figures: Figures) -> None:
    studies = harness.sql(
        "SELECT s.id, s.study_instance_uid, s.num_instances,"
        " (SELECT count(*) FROM archive_instance i JOIN archive_series se ON se.id = i.series_id"
        "  WHERE se.study_id = s.id) FROM archive_study s"
    )
    scorings: dict[int, list[tuple[Any, ...]]] = {}
    for row in harness.sql(
        "SELECT sc.study_id, sc.model_version_id, sc.status, sc.num_instances,"
        " (SELECT count(*) FROM triage_imagefinding f WHERE f.scoring_id = sc.id)"
        " FROM triage_studyscoring sc"
    ):
        scorings.setdefault(row[0], []).append(row)
    figures.studies = len(studies)
    for study_id, uid, num_instances, instances in studies:
        rows = scorings.get(study_id, [])
        by_active = [r for r in rows if r[1] == harness.model_version_id]
        ok = (
            len(rows) == 1
            and len(by_active) == 1
            and by_active[0][2] in SCORED
            and by_active[0][3] == num_instances == instances
            and by_active[0][4] == instances  # one finding per (single-frame) image
        )
        figures.scored_once += ok
        if not ok:
            figures.problems.append(
                f"study {uid} ({instances} instances, counted {num_instances}) is not scored "
                f"exactly once by the active model: {[r[1:] for r in rows]}"
            )
