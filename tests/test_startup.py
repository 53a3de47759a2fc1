"""Fixed costs of a logsleuth process: what a command does not load."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs" / "auth.log"


def _imported(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m logsleuth ARGS`: the result and the modules imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "logsleuth", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc, modules


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed")
def test_an_ingest_does_not_load_pandas(tmp_path):
    """pyarrow (the events' staging) would import pandas to look for pandas objects."""
    log = tmp_path / "auth.log"
    log.write_bytes(SAMPLE.read_bytes())
    proc, modules = _imported(["ingest", str(log), "--db", str(tmp_path / "db.duckdb")], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pyarrow" in modules  # the events were staged through Arrow
    # (an attempt that is refused is listed too, as `pandas` alone: nothing under it)
    assert not {m for m in modules if m.startswith("pandas.")}
    names, rows = api.sql("SELECT count(*) FROM events", str(tmp_path / "db.duckdb"))
    assert rows[0][0] > 3000


def test_report_does_not_load_the_catalogue(tmp_path, monkeypatch):
    log = tmp_path / "auth.log"
    log.write_bytes(SAMPLE.read_bytes())
    db = tmp_path / "db.duckdb"
    api.ingest([str(log)], db=str(db))
    loads: list[object] = []
    monkeypatch.setattr(api, "load_catalogue", lambda *a, **k: loads.append(a))
    r = CliRunner().invoke(app, ["report", "--db", str(db), "--summary", "--no-pager"])
    assert r.exit_code == 0, r.output
    assert loads == []
    # --fail-on checks its values against the catalogue's causes: it loads it then.
    monkeypatch.undo()
    r = CliRunner().invoke(app, ["report", "--db", str(db), "--fail-on", "nosuch"])
    assert r.exit_code == 2 and "not a family" in r.output
