"""Client side of the benchmark: STOW-RS ingest, timed GETs (QIDO/WADO), C-STORE with storescu.

Run as `python -m bench.workloads` with a JSON spec on stdin; prints a JSON result with raw
samples (bench/stats.py summarises them). The runner starts one client process per block and
server, so that Orthanc's client lives in Orthanc's network namespace (`ip netns exec bench`)
while ours runs beside our server; both get the same code and spec.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests

DICOM_JSON = "application/dicom+json"


def multipart_body(paths: list[str]) -> tuple[bytes, str]:
    """One multipart/related body with an application/dicom part per file."""
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for path in paths:
        chunks += [
            f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(),
            Path(path).read_bytes(),
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return b"".join(chunks), content_type


def stow(spec: dict[str, Any]) -> dict[str, Any]:
    """POST the files, `per_request` instances per request, from `clients` threads at once.

    Bodies are built before the clock starts; the clock runs from the first request until the
    last response. Each thread has its own keep-alive connection and takes the next body from a
    shared queue, so clients stay busy until the set is done.
    """
    files: list[str] = spec["files"]
    per_request: int = spec["per_request"]
    batches = [files[i : i + per_request] for i in range(0, len(files), per_request)]
    bodies = [multipart_body(batch) for batch in batches]
    url = f"{spec['root']}/studies"
    headers = {**spec.get("headers", {}), "Accept": DICOM_JSON}
    next_index = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    stored = [0]
    errors: list[str] = []

    def client() -> None:
        session = requests.Session()
        while (i := next(next_index)) < len(bodies):
            body, content_type = bodies[i]
            started = time.perf_counter()
            response = session.post(
                url, data=body, headers={**headers, "Content-Type": content_type}
            )
            elapsed = time.perf_counter() - started
            ok = _stored_count(response)
            with lock:
                latencies.append(elapsed)
                stored[0] += ok
                if response.status_code != 200 or ok != len(batches[i]):
                    errors.append(f"{response.status_code}: {response.text[:300]}")

    threads = [threading.Thread(target=client) for _ in range(spec["clients"])]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "instances": len(files),
        "stored": stored[0],
        "bytes": sum(Path(f).stat().st_size for f in files),
        "requests": len(bodies),
        "wall_s": wall,
        "latencies_s": latencies,
        "errors": errors[:5],
        "error_count": len(errors),
    }


def _stored_count(response: requests.Response) -> int:
    try:
        body = response.json()
    except ValueError:
        return 0
    return len(body.get("00081199", {}).get("Value", [])) if isinstance(body, dict) else 0


def timed_gets(spec: dict[str, Any]) -> dict[str, Any]:
    """GET each request in order on one keep-alive connection; the first `warmup` are untimed.

    A request is {label, path, accept}. The time is to the last byte of the body. For JSON
    answers the number of results is kept, so the two servers' answers can be compared.
    """
    session = requests.Session()
    base_headers = spec.get("headers", {})
    samples: dict[str, list[float]] = defaultdict(list)
    results: dict[str, list[int]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    errors: list[str] = []
    for n, request in enumerate(spec["requests"]):
        headers = {**base_headers, "Accept": request["accept"]}
        started = time.perf_counter()
        response = session.get(f"{spec['root']}{request['path']}", headers=headers)
        body = response.content
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 204):
            errors.append(f"{request['label']} {response.status_code}: {body[:200]!r}")
        if n < spec.get("warmup", 0):
            continue
        samples[request["label"]].append(elapsed)
        sizes[request["label"]].append(len(body))
        if response.headers.get("Content-Type", "").startswith(DICOM_JSON):
            results[request["label"]].append(len(json.loads(body)) if body else 0)
    return {
        "requests_sent": len(spec["requests"]),
        "samples_s": samples,
        "bytes": sizes,
        "results": results,
        "errors": errors[:5],
        "error_count": len(errors),
    }


def cstore(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the folders' files over one association with dcmtk's storescu; time the process."""
    command = [
        "storescu", "-R", "-aet", "BENCHSCU", "-aec", spec["ae_title"],
        spec["host"], str(spec["port"]), "+sd", "+r", *spec["folders"],
    ]  # fmt: skip
    # DCMTK leaves Nagle's algorithm on unless TCP_NODELAY=1 (see bench/orthanc.py).
    env = {**os.environ, "TCP_NODELAY": "1"}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    files = [p for folder in spec["folders"] for p in Path(folder).rglob("*.dcm")]
    return {
        "instances": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "wall_s": wall,
        "returncode": result.returncode,
        "stderr_tail": result.stderr[-1500:],
        "command": " ".join(command),
    }


def warm(spec: dict[str, Any]) -> dict[str, Any]:
    """Many short connections at once, so that every server process and thread has served."""
    url = f"{spec['root']}{spec['path']}"
    headers = {**spec.get("headers", {}), "Accept": DICOM_JSON}
    statuses: list[int] = []

    def client() -> None:
        for _ in range(spec["per_thread"]):
            statuses.append(requests.get(url, headers=headers).status_code)

    threads = [threading.Thread(target=client) for _ in range(spec["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": len(statuses), "ok": statuses.count(200)}


WORKLOADS = {"stow": stow, "timed_gets": timed_gets, "cstore": cstore, "warm": warm}


def main() -> None:
    spec = json.load(sys.stdin)
    json.dump(WORKLOADS[spec["workload"]](spec), sys.stdout)


if __name__ == "__main__":
    main()
