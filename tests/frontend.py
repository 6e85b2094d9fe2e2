"""Build the browser front end (frontend/dist) for tests that serve it, once, when it is stale."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
DIST_INDEX = FRONTEND / "dist" / "index.html"
_LOCK = FRONTEND.parent / "var" / "frontend-build.lock"
_SOURCES = ["src", "index.html", "vite.config.ts", "tsconfig.json", "package-lock.json"]


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in _SOURCES:
        path = FRONTEND / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def _is_fresh() -> bool:
    return DIST_INDEX.exists() and DIST_INDEX.stat().st_mtime >= _newest_source_mtime()


def ensure_frontend_built() -> Path:
    """Return frontend/dist, running `npm ci` (if needed) and `npm run build` when it is stale.

    Needs Node and the npm registry (or npm's cache); a file lock keeps parallel runs from
    building at once.
    """
    if _is_fresh():
        return DIST_INDEX.parent
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("frontend/dist is missing or stale and npm is not installed")
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_fresh():
            if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
                subprocess.run(
                    [npm, "--prefix", str(FRONTEND), "ci", "--no-audit", "--no-fund"], check=True
                )
            subprocess.run([npm, "--prefix", str(FRONTEND), "run", "build"], check=True)
    return DIST_INDEX.parent
