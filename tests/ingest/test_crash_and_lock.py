"""A run is one transaction (kill -9 leaves the database as before) and a second ingest
waits for the first, a bounded time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.store import Store

ROOT = Path(__file__).resolve().parents[2]
LINES = (ROOT / "sample_logs" / "auth.log").read_bytes().splitlines(keepends=True)
ENV = {**os.environ, "TZ": "UTC"}


def snapshot(db: Path) -> tuple:
    store = Store(str(db))
    try:
        q = store.con.execute
        return (
            q("SELECT count(*) FROM runs").fetchall(),
            q("SELECT id, family, cause FROM connections ORDER BY id").fetchall(),
            q('SELECT stream, path, "offset", lines FROM sources ORDER BY stream').fetchall(),
            q("SELECT md5(state::VARCHAR) FROM live_state").fetchall(),
            q("SELECT count(*), sum(lines) FROM run_sources").fetchall(),
            q(
                "SELECT count(*), md5(string_agg(concat_ws('|', run, connection_id, source, "
                "line), ',' ORDER BY source, line)) FROM events"
            ).fetchall(),
        )
    finally:
        store.close()


def killed_ingest(log: Path, db: Path, when: str) -> int:
    """Run an ingest in a child that SIGKILLs itself at ``when`` (a Store method)."""
    code = textwrap.dedent(f"""
        import os, signal
        from logsleuth import api
        from logsleuth.store import Store
        original = Store.{when}
        def die(self, *a, **k):
            original(self, *a, **k)
            os.kill(os.getpid(), signal.SIGKILL)
        Store.{when} = die
        api.ingest([{str(log)!r}], db={str(db)!r}, year=2026)
    """)
    done = subprocess.run([sys.executable, "-c", code], env=ENV, check=False)
    return done.returncode


def test_kill_9_mid_run_leaves_the_database_as_before(tmp_path):
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES[:2000]))
    os.environ["TZ"] = "UTC"
    time.tzset()
    api.ingest([str(log)], db=str(db), year=2026)
    before = snapshot(db)
    with log.open("ab") as fh:
        fh.write(b"".join(LINES[2000:]))
    # killed after writing connections, after writing events, after moving events of a
    # connection from the first run to its final id, and after everything but the commit
    for when in ("add_connections", "add_events", "relink_events", "add_run"):
        assert killed_ingest(log, db, when) == -signal.SIGKILL
        assert snapshot(db) == before, f"killed at {when}: the database changed"
    api.ingest([str(log)], db=str(db), year=2026)
    clean = tmp_path / "clean.duckdb"
    api.ingest([str(log)], db=str(clean), year=2026)
    resumed, once = api.report(str(db)), api.report(str(clean))
    assert resumed.connections == once.connections
    events = "SELECT connection_id, source, line FROM events ORDER BY source, line"
    split, whole = Store(str(db)), Store(str(clean))
    try:
        assert split.con.execute(events).fetchall() == whole.con.execute(events).fetchall()
    finally:
        split.close()
        whole.close()
    assert resumed.findings == once.findings and resumed.hosts == once.hosts


def hold(db: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from logsleuth.store import Store\ns = Store({str(db)!r})\nprint('ready', "
            "flush=True)\nimport sys\nsys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def test_a_second_ingest_waits_then_says_why_it_gave_up(tmp_path):
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES[:200]))
    holder = hold(db)
    try:
        start = time.monotonic()
        r = CliRunner().invoke(app, ["ingest", str(log), "--db", str(db), "--wait", "1.5"])
        waited = time.monotonic() - start
    finally:
        holder.communicate("")
    assert r.exit_code == 3
    assert "in use by another logsleuth" in r.output and "--wait" in r.output
    assert "Traceback" not in r.output
    assert 1.5 <= waited < 30


def test_a_second_ingest_runs_once_the_first_is_done(tmp_path):
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES[:300]))
    holder = hold(db)
    second = subprocess.Popen(
        [sys.executable, "-m", "logsleuth", "ingest", str(log), "--db", str(db), "--wait", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    time.sleep(1.0)
    assert second.poll() is None, "the second ingest should be waiting"
    holder.communicate("")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "run 1: 300 new lines" in out
