"""The floors import only downward (import-linter's layers contract in pyproject.toml):
the tenancy kernel (tenants, accounts, audit) → notifications → pledges → evaluations →
the top floor (jiannuo: settings and URLs; oversight: the county layer; demo)."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_no_floor_imports_a_floor_above_it():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Floors import only downward KEPT" in result.stdout
