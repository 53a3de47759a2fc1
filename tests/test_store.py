"""The DuckDB store: round trips, rollups on a file database, and a locked database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth.errors import StoreError
from logsleuth.model import Connection, Evidence, PatternId, SourceInfo, UnmatchedShape
from logsleuth.rollups import ROLLUPS, CauseRow, LimitDropRow
from logsleuth.store import CONNECTION_COLUMNS, Store

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
        assert "in use by another logsleuth" in str(exc.value)
    finally:
        holder.communicate("")


def _filled_store() -> Store:
    store = Store()
    conns = [
        conn(1),
        conn(
            2,
            client_port=5000,
            authenticated=False,
            user=None,
            family="preauth-probe",
            cause="preauth-probe/no-banner",
            end=T,
            decisive=None,
        ),
        conn(3, start=None, end=None, family="open", cause="open", decisive=None),
        conn(
            4, direction="outbound", client_port=None, family="host-key", cause="host-key/changed"
        ),
        conn(
            5,
            authenticated=False,
            family="auth-failure",
            cause="auth-failure/failed-auth",
            failures=3,
        ),
        conn(6, authenticated=False, family="server-limit", cause="server-limit/maxstartups"),
        conn(7, method="password", family="clean-exit", cause="clean-exit/disconnected-by-user"),
    ]
    store.add_connections(conns)
    store.add_source(SourceInfo("a.log", "syslog", 10, 8, 7, 1))
    store.add_unmatched([UnmatchedShape("odd N", 1, "odd 5")])
    return store


@pytest.mark.parametrize("name", sorted(ROLLUPS))
def test_every_rollup_reads_as_its_dataclass(name):
    store = _filled_store()
    # sources and unmatched: from run 1 on; probes: addresses with at least one.
    params = [1] if name in ("sources", "unmatched", "probes") else None
    rows = store.query_as(name, ROLLUPS[name], params)
    assert rows, f"{name} returned nothing on a store with one of everything"
    for row in rows:
        for f in fields(row):
            value = getattr(row, f.name)
            assert not isinstance(value, list | dict), (name, f.name, value)
            if isinstance(value, datetime):
                assert value.tzinfo is UTC
    store.close()


def test_every_sql_file_is_a_typed_rollup_or_the_schema():
    files = {p.stem for p in (Path(__file__).parents[1] / "logsleuth" / "sql").glob("*.sql")}
    assert files - {"schema", "comments"} == set(ROLLUPS)


def test_query_as_refuses_a_dataclass_that_does_not_fit():
    store = _filled_store()
    with pytest.raises(TypeError, match="by_host.sql returns"):
        store.query_as("by_host", CauseRow)
    store.close()


def test_typed_rows_carry_model_values():
    store = _filled_store()
    (limit,) = store.query_as("limit_drops", LimitDropRow)
    assert limit.cause == "server-limit/maxstartups"
    assert limit.evidence == Evidence("a.log", 3, "x")
    assert limit.first == T.replace(minute=15)  # coalesce(end, start)
    store.close()


def test_the_connections_table_comes_from_the_column_specification():
    store = Store()
    cols = [r[0] for r in store.con.execute("DESCRIBE connections").fetchall()]
    assert cols == [c.name for c in CONNECTION_COLUMNS]
    store.close()
