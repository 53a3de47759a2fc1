"""The lake export stays within DuckDB's memory limit whatever the size of the database."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from logsleuth import api
from logsleuth.store import MEMORY_ENV

from .test_lake import _ingest

ROOT = Path(__file__).resolve().parents[1]
#: Copies of the sample's connections and events: enough that the export needs several
#: times the smallest memory limit if it sorts whole tables, or strings them together.
COPIES = 40
#: What each evidence line and unclassified message gains: wider rows, as in a fleet's
#: logs (long keys, banners), so fewer copies make the same weight.
PAD = " " + "k" * 400


@pytest.fixture(scope="module")
def big_db(tmp_path_factory) -> Path:
    """A database ``ingest`` could build from a large log: the sample's, then copies of
    its rows a second apart (same hosts and days, so the same, larger partitions), with
    fresh connection ids, line numbers and wider text."""
    base = tmp_path_factory.mktemp("lakemem")
    db = base / "big.duckdb"
    _ingest(ROOT / "sample_logs" / "auth.log", db)
    con = duckdb.connect(str(db))
    try:
        # Settled and still open alike: how many settled in the run is not the point.
        con.execute("CREATE TEMP TABLE c0 AS FROM connections UNION ALL FROM open_connections")
        con.execute("CREATE TEMP TABLE e0 AS FROM events")
        for k in range(1, COPIES + 1):
            shift = f"INTERVAL {k} SECOND"
            con.execute(
                "INSERT INTO connections SELECT * REPLACE ((hash(id, $k) >> 2)::BIGINT AS id, "
                f'start + {shift} AS start, "end" + {shift} AS "end", '
                "list_transform(evidence, lambda e: {'source': e.source, "
                "'line': e.line + $k * 1000000, 'text': e.text || $pad}) AS evidence) FROM c0",
                {"k": k, "pad": PAD},
            )
            con.execute(
                "INSERT INTO events SELECT * REPLACE ("
                "(hash(connection_id, $k) >> 2)::BIGINT AS connection_id, "
                f"ts + {shift} AS ts, line + $k * 1000000 AS line, "
                "message || $pad AS message) FROM e0",
                {"k": k, "pad": PAD},
            )
    finally:
        con.close()
    return db


def _rows(root: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every file's rows in file order, by path without the run id, less the export time."""
    con = duckdb.connect()
    out = {}
    for path in sorted(root.glob("*/**/*.parquet")):
        rel = re.sub(r"run-[\w-]+\.parquet$", "", path.relative_to(root).as_posix())
        if rel.startswith("runs/"):
            continue
        source = f"read_parquet('{path}', hive_partitioning = false)"
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        keep = ", ".join(f'"{c}"' for c in cols if c not in ("exported_at", "run_id"))
        out[rel] = con.execute(f"SELECT {keep} FROM {source}").fetchall()
    return out


def test_export_under_a_small_memory_limit_writes_the_same_lake(big_db, tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "1024")
    roomy = api.export_parquet(str(big_db), str(tmp_path / "roomy"))
    monkeypatch.setenv(MEMORY_ENV, "32")
    small = api.export_parquet(str(big_db), str(tmp_path / "small"))
    assert small.rows == roomy.rows and small.files == roomy.files
    assert small.rows["connections"] > 15_000 and small.rows["events"] > 100_000
    got, want = _rows(tmp_path / "small"), _rows(tmp_path / "roomy")
    assert got.keys() == want.keys() and len(got) > 1
    for rel, rows in want.items():
        assert got[rel] == rows, rel
