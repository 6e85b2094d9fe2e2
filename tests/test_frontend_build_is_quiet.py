"""The front-end build, which `scripts/run` runs on a first start, prints no warnings: a newcomer
reads each "Module "fs" has been externalized for browser compatibility" line as an error."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.frontend import FRONTEND


@pytest.mark.slow
def test_the_front_end_builds_without_warnings(tmp_path):
    npm = shutil.which("npm")
    assert npm, "npm is needed to build the front end"
    if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
        subprocess.run([npm, "--prefix", str(FRONTEND), "ci", "--no-audit"], check=True)

    build = subprocess.run(
        [npm, "--prefix", str(FRONTEND), "run", "build", "--", "--outDir", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert build.returncode == 0, build.stderr
    output = build.stdout + build.stderr
    assert "externalized for browser compatibility" not in output
    assert "PLUGIN_TIMINGS" not in output
    assert "warning" not in output.lower()
    assert (tmp_path / "dist" / "index.html").exists()
