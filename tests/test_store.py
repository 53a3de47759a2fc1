"""The DuckDB store: round trips, rollups on a file database, and a locked database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest

from logsleuth.errors import StoreError
from logsleuth.model import Connection, Evidence, PatternId, SourceInfo, UnmatchedShape
from logsleuth.store import Store

T = datetime(2026, 11, 3, 8, 0, 0, 123456, tzinfo=UTC)


def conn(i: int, **kw) -> Connection:
    base = {
        "id": i,
        "host": "h",
        "client_ip": "192.0.2.1",
        "client_port": 4000 + i,
        "user": "al",
        "authenticated": True,
        "method": "publickey",
        "start": T,
        "end": T.replace(minute=15),
        "family": "network-drop",
        "cause": "network-drop/reset",
        "pattern_id": PatternId("D116"),
        "evidence": (Evidence("a.log", 3, 'line "quoted" é \\ end'),),
        "pids": (5, 6),
        "decisive": Evidence("a.log", 3, "x"),
    }
    base.update(kw)
    return Connection(**base)


def test_connections_round_trip(tmp_path):
    store = Store(str(tmp_path / "s.duckdb"))
    conns = [conn(1), conn(2, start=None, end=None, family="open", cause="open", decisive=None)]
    assert store.add_connections(conns) == 2
    store.add_source(SourceInfo("a.log", "syslog", 10, 8, 7, 1))
    store.add_unmatched([UnmatchedShape("odd N", 1, "odd 5")])
    got = list(store.connections())
    assert sorted(got, key=lambda c: c.id) == sorted(conns, key=lambda c: c.id)
    assert store.sources()[0].unmatched == 1
    assert store.unmatched() == (1, [UnmatchedShape("odd N", 1, "odd 5")])
    (row,) = store.query("durations")
    assert row[:3] == ("h", "network-drop", 1) and row[3] == pytest.approx(900.0)
    store.close()


def test_a_locked_database_is_a_clear_error(tmp_path):
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as exc:
            Store(str(db))
        assert "another logsleuth may be running" in str(exc.value)
    finally:
        holder.communicate("")
