"""The Parquet lake: layout, sort order, metadata, append-only runs, and reports read back."""

from __future__ import annotations

import hashlib
import re
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.ingest import pending_connections
from logsleuth.lakestore import BUCKETS, SCHEMA_VERSION, host_bucket
from logsleuth.renderers import render
from logsleuth.report import build_report
from logsleuth.store import Store
from tests.zone import utc_zone

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = re.compile(r"connections/dt=(\d{4}-\d{2}-\d{2})/host_bucket=(\d{2})/run-([\w-]+)\.parquet")


def _scan_to(db: Path, sample: str) -> None:
    with utc_zone():
        api.scan([str(ROOT / "sample_logs" / sample)], year=2026, db=str(db))


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    base = tmp_path_factory.mktemp("lake")
    db = base / "ssh.duckdb"
    _scan_to(db, "auth.log")
    result = api.export_parquet(str(db), str(base / "lake"))
    return db, base / "lake", result


def files(root: Path, table: str = "connections") -> list[Path]:
    return sorted(root.glob(f"{table}/**/*.parquet"))


def test_layout_is_hive_partitioned_by_day_and_host_bucket(lake):
    db, root, result = lake
    paths = files(root)
    assert paths and result.files == len(list(root.glob("**/*.parquet")))
    con = duckdb.connect()
    for path in paths:
        m = LAYOUT.fullmatch(path.relative_to(root).as_posix())
        assert m, path
        dt, bucket, run = m.groups()
        assert run == result.run_id
        rows = con.execute(
            'SELECT host, start, "end" FROM read_parquet(?, hive_partitioning = false)',
            [str(path)],
        ).fetchall()
        assert rows
        assert {host_bucket(h) for h, _, _ in rows} == {int(bucket)}
        assert all(zlib.crc32(h.encode()) % BUCKETS == int(bucket) for h, _, _ in rows)
        assert {(s or e).strftime("%Y-%m-%d") for _, s, e in rows} == {dt}
        keys = [(h, s or datetime.min) for h, s, _ in rows]
        assert keys == sorted(keys), f"{path} not sorted by host and start"
        meta = dict(
            con.execute(
                "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [str(path)]
            ).fetchall()
        )
        assert meta["logsleuth.schema"] == SCHEMA_VERSION
        assert meta["logsleuth.run"] == result.run_id
    total = con.execute(
        f"SELECT count(*) FROM read_parquet('{root}/connections/*/*/*.parquet')"
    ).fetchone()[0]
    store = Store(str(db))
    try:
        assert total == result.rows["connections"] == len(list(store.connections()))
    finally:
        store.close()
    (run,) = con.execute(
        f"SELECT * FROM read_parquet('{root}/runs/*/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert run[0] == result.run_id


EVENTS = re.compile(r"events/dt=(\d{4}-\d{2}-\d{2})/host_bucket=(\d{2})/run-([\w-]+)\.parquet")


def test_events_are_partitioned_sorted_and_versioned_like_connections(lake):
    db, root, result = lake
    paths = files(root, "events")
    assert paths
    con = duckdb.connect()
    for path in paths:
        m = EVENTS.fullmatch(path.relative_to(root).as_posix())
        assert m, path
        dt, bucket, run = m.groups()
        assert run == result.run_id
        rows = con.execute(
            "SELECT host, ts, source, line FROM read_parquet(?, hive_partitioning = false)",
            [str(path)],
        ).fetchall()
        assert rows
        assert {host_bucket(h) for h, *_ in rows} == {int(bucket)}
        assert {t.strftime("%Y-%m-%d") for _, t, _, _ in rows if t} <= {dt}
        keys = [(h, t or datetime.min, s, n) for h, t, s, n in rows]
        assert keys == sorted(keys), f"{path} not sorted by host and time"
        meta = dict(
            con.execute(
                "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [str(path)]
            ).fetchall()
        )
        assert meta["logsleuth.schema"] == SCHEMA_VERSION == "3"
        assert meta["logsleuth.run"] == result.run_id
    lake_rows = con.execute(
        f"SELECT * EXCLUDE (dt, host_bucket) FROM read_parquet('{root}/events/*/*/*.parquet', "
        "hive_partitioning = true) ORDER BY source, line"
    ).fetchall()
    store = Store(str(db), read_only=True)
    try:
        stored = store.con.execute("SELECT * FROM events ORDER BY source, line").fetchall()
        ssh = store.con.execute("SELECT sum(ssh_lines) FROM run_sources").fetchone()[0]
    finally:
        store.close()
    assert lake_rows == stored and len(stored) == ssh == result.rows["events"]
    # every linked event's connection is in the same export run, or is one the database
    # still holds open (a scan's database keeps those only as live state: a report
    # computes them, the export has no row for them)
    dangling = {
        r[0]
        for r in con.execute(
            f"SELECT connection_id FROM read_parquet('{root}/events/*/*/*.parquet') e "
            f"WHERE connection_id IS NOT NULL AND connection_id NOT IN (SELECT id FROM "
            f"read_parquet('{root}/connections/*/*/*.parquet'))"
        ).fetchall()
    }
    store = Store(str(db), read_only=True)
    try:
        held = {c.id for c in pending_connections(store)}
    finally:
        store.close()
    assert dangling <= held
    (events,) = con.execute(
        f"SELECT events FROM read_parquet('{root}/runs/*/*.parquet')"
    ).fetchone()
    assert events == len(stored)


def test_report_over_the_lake_equals_the_report_over_the_database(lake):
    db, root, _ = lake
    store = Store(str(db))
    try:
        expected = build_report(store)
    finally:
        store.close()
    got = api.report_lake(str(root))
    for fmt in ("json", "text", "markdown"):
        assert render(got, fmt) == render(expected, fmt), fmt


def test_since_until_prune_partitions_and_match_a_filtered_report(lake, tmp_path):
    db, root, _ = lake
    since = datetime(2026, 10, 31, tzinfo=UTC)
    until = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    # A corrupt file in a day after the window: only pruning lets the read succeed (a day
    # before would be the first file, which DuckDB opens to learn the schema).
    junk = root / "connections" / "dt=2099-01-01" / "host_bucket=00" / "run-junk.parquet"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"not parquet at all")
    try:
        got = api.report_lake(str(root), since=since, until=until)
        with pytest.raises(Exception, match="cannot read the lake"):
            api.report_lake(str(root))
    finally:
        junk.unlink()
        junk.parent.rmdir()
        junk.parent.parent.rmdir()
    store = Store(str(db))
    try:
        all_conns = list(store.connections())
        inside = [
            c
            for c in all_conns
            if since <= (c.start or c.end) <= until  # type: ignore[operator]
        ]
    finally:
        store.close()
    window = Store(str(tmp_path / "window.duckdb"))
    try:
        window.add_connections(inside)
        src = Store(str(db))
        for s in src.sources():
            window.add_source(s)
        window.add_unmatched(src.unmatched()[1])
        src.close()
        expected = build_report(window)
    finally:
        window.close()
    assert 0 < len(got.connections) == len(inside) < len(all_conns)
    assert render(got, "json") == render(expected, "json")


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.glob("**/*.parquet")
    }


def test_runs_only_append_and_a_repeat_writes_nothing(lake, tmp_path):
    db, root, first = lake
    before = _digest(root)
    again = api.export_parquet(str(db), str(root))
    assert again.skipped and _digest(root) == before
    other = tmp_path / "other.duckdb"
    _scan_to(other, "auth-precise.log")
    second = api.export_parquet(str(other), str(root))
    after = _digest(root)
    assert not second.skipped and second.run_id != first.run_id
    assert {k: after[k] for k in before} == before  # nothing rewritten
    new = set(after) - set(before)
    assert len(new) == second.files and all(second.run_id in k for k in new)
    runs = (
        duckdb.connect()
        .execute(f"SELECT count(*) FROM read_parquet('{root}/runs/*/*.parquet')")
        .fetchone()[0]
    )
    assert runs == 2
    both = api.report_lake(str(root))
    assert len(both.connections) == first.rows["connections"] + second.rows["connections"]
    assert [s.path for s in both.sources] == [
        str(ROOT / "sample_logs" / "auth.log"),
        str(ROOT / "sample_logs" / "auth-precise.log"),
    ]
    for f in new:
        (root / f).unlink()


def test_cli_export_and_report(lake, tmp_path):
    db, _, first = lake
    out = tmp_path / "lake"
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--parquet", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"{first.rows['connections']} connections" in result.output
    rep = runner.invoke(app, ["report", "--lake", str(out), "-f", "csv", "--table", "hosts"])
    assert rep.exit_code == 0 and rep.output.startswith("host,connections")
    missing = runner.invoke(app, ["report", "--lake", str(tmp_path / "none")])
    assert missing.exit_code == 3 and "no connections in the lake" in missing.output
    nodb = runner.invoke(app, ["export", "--parquet", str(out), "--db", str(tmp_path / "x.db")])
    assert nodb.exit_code == 3 and "no database" in nodb.output


def _ingest(log: Path, db: Path) -> None:
    with utc_zone():
        api.ingest([str(log)], db=str(db), year=2026)


def test_exports_of_a_growing_database_add_only_what_is_new(tmp_path):
    lines = (ROOT / "sample_logs" / "auth.log").read_text(encoding="utf-8").splitlines(True)
    log, db, lake = tmp_path / "auth.log", tmp_path / "grow.duckdb", tmp_path / "lake"
    log.write_text("".join(lines[:2000]), encoding="utf-8")
    _ingest(log, db)
    first = api.export_parquet(str(db), str(lake))
    with log.open("a", encoding="utf-8") as out:
        out.write("".join(lines[2000:]))
    _ingest(log, db)
    second = api.export_parquet(str(db), str(lake))
    assert not first.skipped and not second.skipped
    assert api.export_parquet(str(db), str(lake)).skipped  # nothing new: nothing written
    # the same log ingested and exported at once, under the same path
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / "auth.log").write_text("".join(lines), encoding="utf-8")
    _ingest(whole / "auth.log", tmp_path / "one.duckdb")
    api.export_parquet(str(tmp_path / "one.duckdb"), str(tmp_path / "lake1"))
    got = render(api.report_lake(str(lake)), "json")
    once = render(api.report_lake(str(tmp_path / "lake1")), "json")
    assert got == once.replace(str(whole / "auth.log"), str(log))
    over_db = api.report(str(db))  # what `report --db` shows
    store = Store(str(db), read_only=True)
    try:
        ssh = store.con.execute("SELECT sum(ssh_lines) FROM run_sources").fetchone()[0]
    finally:
        store.close()
    lake_report = api.report_lake(str(lake))
    assert lake_report.connections == over_db.connections
    assert len(lake_report.connections) == len({c.id for c in lake_report.connections})
    assert lake_report.sources == over_db.sources
    con = duckdb.connect()
    conns = f"read_parquet('{lake}/connections/*/*/*.parquet', hive_partitioning = true)"
    latest = con.execute(
        f"SELECT count(*), count(DISTINCT id) FROM (SELECT * FROM {conns} "
        "QUALIFY row_number() OVER (PARTITION BY id ORDER BY exported_at DESC) = 1)"
    ).fetchone()
    assert latest == (len(over_db.connections),) * 2
    # settled rows are written once; the rest are snapshots of connections then open
    assert con.execute(
        f"SELECT count(*) FROM (SELECT id FROM {conns} WHERE NOT still_open "
        "GROUP BY id HAVING count(*) > 1)"
    ).fetchone() == (0,)
    (events, lines_) = con.execute(
        "SELECT count(*), count(DISTINCT (run, source, line)) "
        f"FROM read_parquet('{lake}/events/*/*/*.parquet')"
    ).fetchone()
    assert events == lines_ == ssh == first.rows["events"] + second.rows["events"]
    sources = con.execute(
        f"SELECT count(*) FROM read_parquet('{lake}/sources/*/*.parquet')"
    ).fetchone()
    assert sources == (2,)  # one per ingest run, as in the database
