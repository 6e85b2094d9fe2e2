"""`scripts/run` restarts in seconds because `scripts/install` skips each step whose inputs did
not change since it last succeeded (issue 9: every start re-ran pip, `npm ci` and the build)."""

from __future__ import annotations

import subprocess

import pytest

from tests.processes import ROOT

INSTALL_COMMANDS = ("pip install", "npm --prefix frontend ci", "run build", "python3 -m venv")


def stamps(script: str, cwd) -> str:
    return subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts' / 'lib' / 'stamps.sh'}; {script}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.slow
def test_a_second_install_of_an_unchanged_checkout_runs_no_install_step():
    # The first brings every step up to date (in CI, `scripts/test` has just done so).
    subprocess.run(["scripts/install"], cwd=ROOT, check=True, capture_output=True)

    again = subprocess.run(
        ["bash", "-x", "scripts/install"], cwd=ROOT, capture_output=True, text=True, check=True
    )

    ran = [line for line in again.stderr.splitlines() if line.startswith("+ ")]
    assert not [line for line in ran if any(command in line for command in INSTALL_COMMANDS)]


def test_the_inputs_hash_changes_with_a_files_content_or_name_and_only_then(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.ts").write_text("export const a = 1;\n")
    first = stamps("inputs_hash src", tmp_path)

    assert stamps("inputs_hash src", tmp_path) == first
    (src / "a.ts").write_text("export const a = 2;\n")
    changed = stamps("inputs_hash src", tmp_path)
    assert changed != first
    (src / "a.ts").rename(src / "b.ts")
    assert stamps("inputs_hash src", tmp_path) not in {first, changed}


def test_a_stamp_matches_only_the_inputs_it_was_written_with(tmp_path):
    out = stamps(
        "stamp_matches out/.done v1 && echo before;"
        "stamp_write out/.done v1;"
        "stamp_matches out/.done v1 && echo same;"
        "stamp_matches out/.done v2 || echo other",
        tmp_path,
    )
    assert out.split() == ["same", "other"]
