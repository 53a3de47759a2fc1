"""The rollup queries printed in docs/lake.md, run as written over a real lake.

DuckDB always; ClickHouse through chDB (ClickHouse's engine in-process) when installed.
Both must give the per-host cause counts of `report --lake`.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from logsleuth import api

from .test_lake import _ingest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "lake.md").read_text(encoding="utf-8")


def doc_query(heading: str, lang: str = "sql") -> str:
    section = DOC.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(rf"```{lang}\n(.*?)```", section, re.S)
    return blocks[-1].strip().rstrip(";")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    base = tmp_path_factory.mktemp("engines")
    # two exports of a growing database: connections open at the first have two rows
    lines = (ROOT / "sample_logs" / "auth.log").read_text(encoding="utf-8").splitlines(True)
    log = base / "auth.log"
    for part in (lines[:2000], lines[2000:]):
        with log.open("a", encoding="utf-8") as out:
            out.write("".join(part))
        _ingest(log, base / "ssh.duckdb")
        api.export_parquet(str(base / "ssh.duckdb"), str(base / "lake"))
    report = api.report_lake(str(base / "lake"))
    expected = sorted((h.host, c.family, c.cause, c.count) for h in report.hosts for c in h.causes)
    return base / "lake", expected


def test_duckdb_query_in_the_docs(lake):
    root, expected = lake
    sql = doc_query("DuckDB").replace("LAKE", str(root))
    assert sql.startswith("SELECT host, family, cause")
    rows = duckdb.connect().execute(sql).fetchall()
    assert [tuple(r) for r in rows] == expected


def test_clickhouse_query_in_the_docs(lake):
    chdb = pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) not installed")
    root, expected = lake
    sql = doc_query("ClickHouse (`file()` / `s3()`)").replace("LAKE", str(root))
    assert "use_hive_partitioning = 1" in sql
    out = chdb.query(sql, "TabSeparated")
    rows = [line.split("\t") for line in str(out).strip().splitlines()]
    assert [(h, f, c, int(n)) for h, f, c, n in rows] == expected
    # Pruning: a corrupt file in a day outside the WHERE is never opened.
    junk = root / "connections" / "dt=2099-01-01" / "host_bucket=00" / "run-junk.parquet"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"not parquet")
    try:
        again = str(chdb.query(sql, "TabSeparated")).strip().splitlines()
        assert len(again) == len(rows)
    finally:
        junk.unlink()


def test_events_queries_in_the_docs(lake):
    root, _ = lake
    section = DOC.split("### Events\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    per_pattern, drops = (
        q.strip().rstrip(";").replace("LAKE", str(root))
        for q in re.findall(r"```sql\n(.*?)```", section, re.S)
    )
    con = duckdb.connect()
    rows = con.execute(per_pattern).fetchall()
    store = duckdb.connect(str(root.parent / "ssh.duckdb"), read_only=True)
    try:
        expected = store.execute(
            "SELECT host, coalesce(pattern_id, '(unclassified)') AS pattern, count(*) "
            "FROM events GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        ssh = store.execute("SELECT sum(ssh_lines) FROM run_sources").fetchone()[0]
    finally:
        store.close()
    assert rows == expected and sum(n for *_, n in rows) == ssh
    lines = con.execute(drops).fetchall()
    assert lines
    ids = {r[1] for r in lines}
    # Each id's latest row: a connection the last run left open (a host's connections
    # are swept every 256 of its lines) carries the verdict it gets at the end of the log.
    families = con.execute(
        f"SELECT DISTINCT family FROM read_parquet('{root}/connections/*/*/*.parquet') "
        f"WHERE id IN ({', '.join(map(str, ids))}) "
        "QUALIFY row_number() OVER (PARTITION BY id ORDER BY exported_at DESC) = 1"
    ).fetchall()
    assert families == [("network-drop",)]
    every = con.execute(
        f"SELECT count(DISTINCT id) FROM read_parquet('{root}/connections/*/*/*.parquet') "
        "WHERE family = 'network-drop'"
    ).fetchone()
    assert every is not None and len(ids) == every[0]  # every drop has its lines
