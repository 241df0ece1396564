"""The shell side of the two README commands: ./demo and tests/run share tests/venv.sh."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_a_venv_left_without_pip_by_a_failed_python3_m_venv_is_made_again(tmp_path):
    # What `python3 -m venv .venv` leaves on Debian without python3-venv: a python, no pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    assert subprocess.run(
        [tmp_path / ".venv/bin/python", "-m", "pip", "--version"], capture_output=True
    ).returncode
    shutil.copy(REPOSITORY / "tests" / "venv.sh", tmp_path / "venv.sh")
    done = subprocess.run(
        ["bash", "-c", 'set -euo pipefail; say() { echo "say: $*"; }; . ./venv.sh; ensure_venv'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no working pip" in done.stdout and "making it again" in done.stdout
    pip = subprocess.run(
        [tmp_path / ".venv/bin/python", "-m", "pip", "--version"], capture_output=True, text=True
    )
    assert pip.returncode == 0 and "pip " in pip.stdout


def test_a_working_venv_is_kept(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / ".venv")], check=True)
    marker = tmp_path / ".venv" / "kept"
    marker.touch()
    shutil.copy(REPOSITORY / "tests" / "venv.sh", tmp_path / "venv.sh")
    done = subprocess.run(
        ["bash", "-c", 'set -euo pipefail; say() { echo "say: $*"; }; . ./venv.sh; ensure_venv'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stdout == "" and marker.exists(), done.stderr
