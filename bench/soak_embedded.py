"""Soak of the embedded default: `scripts/run` as a user starts it, then studies arriving by
DICOM C-STORE and DICOMweb STOW-RS for an hour, then Ctrl-C.

It counts what a site would ask of a trial run: studies sent, acknowledged, stored (found by
QIDO-RS), scored (an AI result on the worklist), the time from arrival to a scored place, whether
the web server answered throughout, and how often supervisord had to start a process again.
Each study is a real PneumoniaMNIST chest radiograph (train split) wrapped as a DX study with
fresh UIDs, alternately sent with dcmtk's storescu and over STOW-RS.

    .venv/bin/python -m bench.soak_embedded [--minutes 60] [--per-minute 12] [--checkout DIR]

`--checkout` runs another clone's scripts/run (a clean checkout, say); its data goes to
bench/.work/soak/var (deleted first, so the run includes the first start and the model's
training). Needs dcmtk (storescu).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.readme_blocks import block_replace
from bench.scoring_latency import dx_study, stow
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "soak"
RESULTS = ROOT / "bench" / "results"
PORT = 8793
DICOM_PORT = 11193
SCORED = {"positive", "negative"}
RUNNING_LINE = "Imaging triage is running."


@dataclass
class Sent:
    uid: str
    door: str
    sent_at: float
    acknowledged: bool
    scored_s: float | None = None  # received to scored, by the server's clock


@dataclass
class Soak:
    sent: list[Sent] = field(default_factory=list)
    web_checks: int = 0
    web_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def start_product(checkout: Path, var_dir: Path, console: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(PORT=str(PORT), DICOM_PORT=str(DICOM_PORT), VAR_DIR=str(var_dir))
    with open(console, "ab") as out:  # append: supervisord reopens the same stream
        return subprocess.Popen(
            ["scripts/run"],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C is sent to its group alone
        )


def wait_running(proc: subprocess.Popen[bytes], console: Path, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if RUNNING_LINE in console.read_text(errors="replace"):
            return time.monotonic() - started
        if proc.poll() is not None:
            raise RuntimeError(f"scripts/run exited with {proc.returncode}; see {console}")
        time.sleep(0.5)
    raise TimeoutError(f"scripts/run did not say it was running within {timeout:.0f} s")


def token(checkout: Path, var_dir: Path) -> str:
    env = {**os.environ, "VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [".venv/bin/python", "manage.py", "create_token", "demo"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()[-1]


def study_uid(body: bytes) -> str:
    from pydicom import dcmread

    return str(dcmread(io.BytesIO(body), stop_before_pixels=True).StudyInstanceUID)


def send_stow(session: requests.Session, body: bytes) -> bool:
    try:
        return stow(session, body, port=PORT).status_code == 200
    except requests.RequestException:
        return False


def send_cstore(body: bytes, folder: Path) -> bool:
    path = folder / "study.dcm"
    path.write_bytes(body)
    result = subprocess.run(
        ["storescu", "-aec", "TRIAGE", "-to", "60", "127.0.0.1", str(DICOM_PORT), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and "Failed" not in result.stderr


def check_scored(session: requests.Session, soak: Soak) -> None:
    """Record each sent study's arrival-to-scored time once the worklist shows its AI result."""
    with soak.lock:
        pending = [s for s in soak.sent if s.acknowledged and s.scored_s is None]
    for study in pending:
        try:
            response = session.get(f"http://127.0.0.1:{PORT}/api/worklist/{study.uid}", timeout=30)
        except requests.RequestException:
            continue
        if response.status_code != 200 or response.json()["ai"]["status"] not in SCORED:
            continue
        entry = response.json()
        received, scored = (
            dt.datetime.fromisoformat(entry[key].replace("Z", "+00:00"))
            for key in ("received_at", "scored_at")
        )
        study.scored_s = (scored - received).total_seconds()


def web_answers(session: requests.Session) -> bool:
    try:
        return session.get(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=30).ok
    except requests.RequestException:
        return False


def stored_in_archive(session: requests.Session, uid: str) -> bool:
    response = session.get(
        f"http://127.0.0.1:{PORT}/dicomweb/studies",
        params={"StudyInstanceUID": uid},
        headers={"Accept": "application/dicom+json"},
        timeout=30,
    )
    return response.status_code == 200 and bool(response.content) and len(response.json()) == 1


def restarts(var_dir: Path) -> dict[str, int]:
    """How often supervisord saw each process exit when it was not asked to stop it."""
    log = var_dir / "log" / "supervisord.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    counts = {"worker": 0, "dicom-listener": 0, "web": 0}
    for name in re.findall(r"exited: ([\w-]+) \(.*not expected\)", text):
        counts[name] = counts.get(name, 0) + 1
    return counts


def soak_loop(session: requests.Session, soak: Soak, minutes: float, per_minute: int) -> None:
    interval = 60.0 / per_minute
    deadline = time.monotonic() + minutes * 60
    next_check = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        n = 0
        while time.monotonic() < deadline:
            tick = time.monotonic()
            body = dx_study(n % 500)
            door = "STOW-RS" if n % 2 == 0 else "C-STORE"
            ok = send_stow(session, body) if door == "STOW-RS" else send_cstore(body, Path(folder))
            with soak.lock:
                soak.sent.append(Sent(study_uid(body), door, time.time(), ok))
            n += 1
            if time.monotonic() >= next_check:
                soak.web_checks += 1
                soak.web_failures += not web_answers(session)
                check_scored(session, soak)
                next_check = time.monotonic() + 30
                if n % (per_minute * 5) == 0:
                    print(f"  {n} studies sent, {minutes_left(deadline):.0f} min left", flush=True)
            time.sleep(max(0.0, interval - (time.monotonic() - tick)))


def minutes_left(deadline: float) -> float:
    return (deadline - time.monotonic()) / 60


def stop_product(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    code = proc.wait(timeout=120)
    return code, time.monotonic() - started


def summary(soak: Soak, session: requests.Session, var_dir: Path) -> dict[str, Any]:
    # The last studies get a minute to be scored before the count.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        check_scored(session, soak)
        if all(s.scored_s is not None for s in soak.sent if s.acknowledged):
            break
        time.sleep(2)
    acknowledged = [s for s in soak.sent if s.acknowledged]
    stored = sum(stored_in_archive(session, s.uid) for s in acknowledged)
    scored = [s.scored_s for s in acknowledged if s.scored_s is not None]
    return {
        "sent": len(soak.sent),
        "sent_by_door": {
            door: sum(s.door == door for s in soak.sent) for door in ("STOW-RS", "C-STORE")
        },
        "acknowledged": len(acknowledged),
        "stored": stored,
        "scored": len(scored),
        "arrival_to_scored_p50_s": percentile(scored, 50) if scored else None,
        "arrival_to_scored_p95_s": percentile(scored, 95) if scored else None,
        "arrival_to_scored_max_s": max(scored) if scored else None,
        "web_checks": soak.web_checks,
        "web_failures": soak.web_failures,
        "restarts": restarts(var_dir),
        "worker_unrecoverable_errors": count_in(var_dir / "log" / "worker.log", "Unrecoverable"),
    }


def count_in(path: Path, needle: str) -> int:
    return path.read_text(errors="replace").count(needle) if path.exists() else 0


def render(result: dict[str, Any]) -> str:
    s = result["soak"]
    rows = [
        ("Soak length", f"{result['minutes']:.0f} min at {result['per_minute']} studies/min"),
        ("First start to 'running' (install, build, train)", f"{result['start_s']:.0f} s"),
        ("Studies sent (STOW-RS / C-STORE)", f"{s['sent']} ({s['sent_by_door']['STOW-RS']} / "
                                             f"{s['sent_by_door']['C-STORE']})"),
        ("Acknowledged", str(s["acknowledged"])),
        ("Stored (found by QIDO-RS)", str(s["stored"])),
        ("Scored (AI result on the worklist)", str(s["scored"])),
        ("Arrival to scored, p50 / p95 / max", f"{s['arrival_to_scored_p50_s']:.2f} s / "
                                               f"{s['arrival_to_scored_p95_s']:.2f} s / "
                                               f"{s['arrival_to_scored_max_s']:.2f} s"),
        ("Web server checks failed", f"{s['web_failures']} of {s['web_checks']}"),
        ("Process restarts (worker / listener / web)",
         " / ".join(str(s["restarts"][k]) for k in ("worker", "dicom-listener", "web"))),
        ("Worker 'Unrecoverable error' lines", str(s["worker_unrecoverable_errors"])),
        ("Ctrl-C: exit code, time to stop", f"{result['stop_code']}, {result['stop_s']:.1f} s"),
    ]  # fmt: skip
    lines = [
        f"Run {result['date']} on {result['machine']}, command "
        f"`.venv/bin/python -m bench.soak_embedded --minutes {result['minutes']:.0f} "
        f"--per-minute {result['per_minute']}` on a clean clone.",
        "",
        "| What | Figure |",
        "|---|---|",
        *[f"| {what} | {figure} |" for what, figure in rows],
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--per-minute", type=int, default=12)
    parser.add_argument("--checkout", type=Path, default=ROOT)
    args = parser.parse_args()

    var_dir = WORK / "var"
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    console = WORK / "console.log"
    print(f"starting {args.checkout}/scripts/run (console: {console})…", flush=True)
    proc = start_product(args.checkout.resolve(), var_dir, console)
    try:
        start_s = wait_running(proc, console, timeout=1800)
        print(f"running after {start_s:.0f} s; soaking for {args.minutes:.0f} min", flush=True)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token(args.checkout, var_dir)}"
        soak = Soak()
        soak_loop(session, soak, args.minutes, args.per_minute)
        result_soak = summary(soak, session, var_dir)
    finally:
        stop_code, stop_s = stop_product(proc)
    result = {
        "date": dt.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, no GPU",
        "minutes": args.minutes,
        "per_minute": args.per_minute,
        "start_s": start_s,
        "soak": result_soak,
        "stop_code": stop_code,
        "stop_s": stop_s,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"soak_embedded_{result['date']}.json").write_text(json.dumps(result, indent=2))
    block_replace("soak", "## Soak of the embedded default\n\n" + render(result))
    print(json.dumps(result, indent=2))
    if stop_code not in (0, 130):
        sys.exit(f"scripts/run exited with {stop_code} on Ctrl-C")


if __name__ == "__main__":
    main()
