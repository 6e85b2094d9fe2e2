"""Summaries of raw client results, merged over the blocks a workload was split into."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": sum(ms) / len(ms),
        "max_ms": max(ms),
    }


def _errors(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "error_count": sum(b.get("error_count", 0) for b in blocks),
        "errors": [e for b in blocks for e in b.get("errors", [])][:5],
    }


def _rates(instances: int, total_bytes: int, wall: float) -> dict[str, float]:
    return {"instances_per_s": instances / wall, "mb_per_s": total_bytes / 1e6 / wall}


def merge_ingest(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates over all blocks: total instances (and bytes) over total time in the clock."""
    instances = sum(b["instances"] for b in blocks)
    total_bytes = sum(b["bytes"] for b in blocks)
    wall = sum(b["wall_s"] for b in blocks)
    merged: dict[str, Any] = {
        "instances": instances,
        "bytes": total_bytes,
        "wall_s": wall,
        **_rates(instances, total_bytes, wall),
        "server_cpu_ms_per_instance": 1000 * sum(b["server_cpu_s"] for b in blocks) / instances,
        "blocks": [
            {
                "instances": b["instances"],
                "wall_s": b["wall_s"],
                "instances_per_s": b["instances"] / b["wall_s"],
                "loadavg_1m": b.get("loadavg_1m"),
            }
            for b in blocks
        ],
        **_errors(blocks),
    }
    if "stored" in blocks[0]:
        merged["stored"] = sum(b["stored"] for b in blocks)
        merged["requests"] = sum(b["requests"] for b in blocks)
        merged["request_latency"] = summary_ms([t for b in blocks for t in b["latencies_s"]])
    if "returncode" in blocks[0]:
        merged["returncode"] = max(b["returncode"] for b in blocks)
        merged["command"] = blocks[0]["command"]
        merged["stderr_tail"] = next((b["stderr_tail"] for b in blocks if b["returncode"]), "")
    return merged


def merge_gets(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95 over all timed requests of all blocks, overall and per label."""
    samples: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    results: dict[str, list[int]] = defaultdict(list)
    for block in blocks:
        for label, values in block["samples_s"].items():
            samples[label] += values
            sizes[label] += block["bytes"][label]
            results[label] += block["results"].get(label, [])
    everything = [t for values in samples.values() for t in values]
    return {
        "all": summary_ms(everything),
        "by_label": {
            label: {
                **summary_ms(values),
                "mean_bytes": sum(sizes[label]) / len(sizes[label]),
                "mean_results": sum(results[label]) / len(results[label])
                if results[label]
                else None,
            }
            for label, values in samples.items()
        },
        "server_cpu_ms_per_request": 1000
        * sum(b["server_cpu_s"] for b in blocks)
        / sum(b["requests_sent"] for b in blocks),
        "loadavg_1m": [b.get("loadavg_1m") for b in blocks],
        **_errors(blocks),
    }
