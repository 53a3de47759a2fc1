"""The fleet lake: a store's tables as Hive-partitioned Parquet, and reports read back from it.

Layout under the lake directory (append-only: a run only ever adds files)::

    connections/dt=YYYY-MM-DD/host_bucket=NN/run-<run>.parquet   rows sorted by host, start
    events/dt=YYYY-MM-DD/host_bucket=NN/run-<run>.parquet        rows sorted by host, ts
    runs/dt=YYYY-MM-DD/run-<run>.parquet                         one row per export run
    sources/dt=YYYY-MM-DD/run-<run>.parquet                      what that run had read
    unmatched/dt=YYYY-MM-DD/run-<run>.parquet                    its unmatched shapes

``dt`` is the UTC day a connection started or an event was logged (the run's day for
runs, sources and unmatched, and for rows without a time); ``host_bucket`` is CRC-32 of
the host name modulo :data:`BUCKETS` (Spark's ``crc32(host) % 32`` and Python's
``zlib.crc32`` give the same). Every file carries
``logsleuth.schema`` and ``logsleuth.run`` in its Parquet key-value metadata. Like
store.py this module talks to DuckDB; nothing else does.

Exports are incremental: the ``runs`` rows name the database runs (id and start) each
export took, so a later export of the same, grown database writes only the events,
sources and unmatched shapes of runs not yet in the lake, the settled connections the
lake does not hold settled yet, and a snapshot of the connections still open. A
connection can so have several rows (open snapshots, then its settled row), all with its
stable id: every reader takes, per id, the row with the latest ``exported_at``.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from logsleuth.errors import LogsleuthError, StoreError
from logsleuth.store import Store, memory_limit_mb, out_of_memory

#: 2: events (one row per ssh line, the store's ``events`` table) beside connections.
#: 3: incremental exports: ``connections`` gain ``exported_at`` and ``still_open``,
#: ``runs`` gain ``store_runs`` (the database runs an export took).
SCHEMA_VERSION = "3"
BUCKETS = 32
#: Tables partitioned by day and host bucket: the time column that gives the day, and
#: the order of the rows inside each file (the time column's NULLs first).
HOST_TABLES = {
    "connections": ("start", ("host", "start", "id")),
    "events": ("ts", ("host", "ts", "source", "line")),
}
#: What each lake table is exported from (temporary tables export() fills).
_EXPORTED = {"connections": "_lake_conns", "events": "_lake_events"}
#: Lake name -> the store's table: what each run read, and its unmatched shapes.
RUN_TABLES = {"sources": "run_sources", "unmatched": "unmatched"}
_HIVE = "hive_partitioning = true, hive_types = {'dt': DATE, 'host_bucket': INTEGER}"
_HIVE_RUN = "hive_partitioning = true, hive_types = {'dt': DATE}"


def host_bucket(host: str) -> int:
    """The bucket of a host: CRC-32 of its UTF-8 name modulo :data:`BUCKETS`."""
    return zlib.crc32(host.encode("utf-8")) % BUCKETS


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What one export run wrote."""

    run_id: str
    rows: dict[str, int]
    files: int
    bytes: int
    skipped: bool = False
    """True when the lake already held exactly this data (nothing written)."""


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    return {r[0] for r in rows}


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, run_id: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = f"{{'logsleuth.schema': {_lit(SCHEMA_VERSION)}, 'logsleuth.run': {_lit(run_id)}}}"
    con.execute(
        f"COPY ({query}) TO {_lit(str(path))} "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE_BYTES {_range_bytes()}, "
        f"KV_METADATA {meta})"
    )
    return path.stat().st_size


#: What a row weighs in memory, roughly (its text, plus a fixed part for the rest):
#: ranges of rows are sorted and written within a share of DuckDB's memory limit.
_WEIGHT = {
    "connections": "coalesce(list_sum(list_transform(t.evidence, lambda e: "
    "strlen(e.text) + strlen(e.source) + 64)), 0) + 256",
    "events": "coalesce(strlen(t.message), 0) + coalesce(strlen(t.source), 0) + 256",
}
#: At most this many rows in a range, whatever their weight.
RANGE_ROWS = 100_000


def _range_bytes() -> int:
    """The weight of the rows sorted (or buffered as one Parquet row group) at once: an
    eighth of DuckDB's memory limit, which a sort of wide rows needs several times over."""
    return memory_limit_mb() << 17


def _sort(
    con: duckdb.DuckDBPyConnection, lake_table: str, run_day: str
) -> list[tuple[str, int, int, int]]:
    """Fill ``_lake_sorted`` with the exported rows of ``lake_table`` in partition order
    (day, host bucket, then :data:`HOST_TABLES`' order) and return each partition's day,
    bucket and first and last rowid there.

    DuckDB sorts narrow keys within its memory limit whatever their number, but not wide
    rows (a connection's evidence list) beyond about that limit in all: only the keys are
    sorted as a whole; the rows are then copied in ranges of the key order of at most
    :func:`_range_bytes` of weight and :data:`RANGE_ROWS` rows, each sorted on its own.
    """
    table = _EXPORTED[lake_table]
    time_col, order = HOST_TABLES[lake_table]
    day = f'coalesce(t."{time_col}", TIMESTAMP {_lit(run_day)})::DATE'
    keys = ", ".join(f't."{c}" AS k{i}' for i, c in enumerate(order))
    key_order = ", ".join(
        f"k{i}{' NULLS FIRST' if c == time_col else ''}" for i, c in enumerate(order)
    )
    # The keys are projected before the sort: sorting the join's output by columns it
    # does not select carries more than the keys through the sort.
    con.execute(
        "CREATE OR REPLACE TEMPORARY TABLE _lake_keys AS SELECT rid, dt, b, w FROM ("
        f"SELECT t.rowid AS rid, {day} AS dt, b.b AS b, ({_WEIGHT[lake_table]})::BIGINT AS w, "
        f"{keys} FROM {table} t JOIN _lake_bucket b USING (host)) "
        f"ORDER BY dt, b, {key_order}"
    )
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE _lake_sorted AS FROM {table} LIMIT 0")
    budget = _range_bytes()
    ranges: list[tuple[int, int]] = []
    cursor = con.execute("SELECT w FROM _lake_keys")  # rowid order: the key order
    first = pos = weight = 0
    while batch := cursor.fetchmany(50_000):
        for (w,) in batch:
            if pos > first and (weight + w > budget or pos - first >= RANGE_ROWS):
                ranges.append((first, pos - 1))
                first, weight = pos, 0
            weight += w
            pos += 1
    if pos > first:
        ranges.append((first, pos - 1))
    for lo, hi in ranges:
        con.execute(
            f"INSERT INTO _lake_sorted SELECT t.* FROM {table} t JOIN (SELECT rowid AS pos, "
            "rid FROM _lake_keys WHERE rowid BETWEEN ? AND ?) k ON t.rowid = k.rid "
            "ORDER BY k.pos",
            [lo, hi],
        )
    parts = con.execute(
        "SELECT dt, b, min(rowid), max(rowid) FROM _lake_keys GROUP BY ALL ORDER BY 3"
    ).fetchall()
    con.execute("DROP TABLE _lake_keys")
    return [(f"{dt:%Y-%m-%d}", int(b), int(lo), int(hi)) for dt, b, lo, hi in parts]


def _fingerprint(con: duckdb.DuckDBPyConnection, events: bool) -> str:
    # Sums of row hashes: order-free, so no sort and no string of every row (both grow
    # with the data beyond any memory limit).
    row = con.execute(
        'SELECT count(*), sum(hash(host, direction, start, "end", client_ip, client_port, '
        "cause))::HUGEINT::VARCHAR FROM connections"
    ).fetchone()
    if events:  # new lines that made no connection still make new data
        row = (row or ()) + (
            con.execute(
                "SELECT count(*), sum(hash(run, source, line, connection_id))::HUGEINT::VARCHAR "
                "FROM events"
            ).fetchone()
            or ()
        )
    return hashlib.sha256(repr(row).encode()).hexdigest()[:32]


def _exported(lake: Path, fingerprint: str) -> bool:
    if not any(lake.glob("runs/*/*.parquet")):
        return False
    con = duckdb.connect()
    try:
        glob = _lit(str(lake / "runs" / "*" / "*.parquet"))
        row = con.execute(
            f"SELECT count(*) FROM read_parquet({glob}, {_HIVE_RUN}) WHERE fingerprint = ?",
            [fingerprint],
        ).fetchone()
        return bool(row and row[0])
    finally:
        con.close()


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def _select_new(
    con: duckdb.DuckDBPyConnection, root: Path, present: set[str], now: datetime
) -> bool:
    """Fill ``_lake_new`` (the database runs the lake does not hold), ``_lake_events``
    (their events) and ``_lake_conns`` (settled connections the lake does not hold
    settled, and every open one as this export's snapshot); False when nothing is new."""
    con.execute("CREATE OR REPLACE TEMPORARY TABLE _lake_new AS SELECT id, started FROM runs")
    con.execute("CREATE OR REPLACE TEMPORARY TABLE _lake_have (id BIGINT)")
    if any(root.glob("runs/*/*.parquet")):
        glob = _lit(str(root / "runs" / "*" / "*.parquet"))
        runs = f"read_parquet({glob}, {_HIVE_RUN}, union_by_name = true)"
        if "store_runs" in _columns(con, runs):
            con.execute(
                "DELETE FROM _lake_new WHERE (id, started) IN (SELECT (r.id, r.started) FROM "
                f"(SELECT unnest(store_runs) AS r FROM {runs} WHERE store_runs IS NOT NULL))"
            )
    if any(root.glob("connections/*/*/*.parquet")):
        glob = _lit(str(root / "connections" / "*" / "*" / "*.parquet"))
        conns = f"read_parquet({glob}, {_HIVE}, union_by_name = true)"
        has_flag = "still_open" in _columns(con, conns)
        settled = "NOT coalesce(still_open, false)" if has_flag else "TRUE"
        hosts = con.execute("SELECT DISTINCT host FROM connections").fetchall()
        con.execute(
            f"INSERT INTO _lake_have SELECT DISTINCT id FROM {conns} WHERE {settled} "
            "AND id IS NOT NULL "
            "AND list_contains(?, host_bucket)",
            [sorted({host_bucket(h) for (h,) in hosts})],
        )
    is_open = (
        "id IN (SELECT id FROM open_connections)" if "open_connections" in present else "false"
    )
    con.execute(
        "CREATE OR REPLACE TEMPORARY TABLE _lake_conns AS SELECT c.*, "
        f"?::TIMESTAMP AS exported_at, ({is_open}) AS still_open FROM connections c "
        f"WHERE ({is_open}) OR id NOT IN (SELECT id FROM _lake_have)",
        [now.replace(tzinfo=None)],
    )
    if "events" in present:
        con.execute(
            "CREATE OR REPLACE TEMPORARY TABLE _lake_events AS SELECT * FROM events "
            "WHERE run IN (SELECT id FROM _lake_new)"
        )
    new = con.execute("SELECT count(*) FROM _lake_new").fetchone()
    return bool(new and new[0])


def export(store: Store, lake: str, now: datetime | None = None) -> ExportResult:
    """Append the store's rows to the lake as one run; a repeat of the same data is skipped."""
    con = store.con
    store.include_open_connections()  # the lake holds what a report of the store shows
    root = Path(lake)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        present = _tables(con)
        fingerprint = _fingerprint(con, "events" in present)
        if _exported(root, fingerprint) or not _select_new(con, root, present, now):
            return ExportResult(run_id, {}, 0, 0, skipped=True)
        present = {_EXPORTED.get(t, t) for t in present}
        every_host = " UNION ".join(
            f"SELECT host FROM {_EXPORTED[t]}" for t in HOST_TABLES if _EXPORTED[t] in present
        )
        hosts = [r[0] for r in con.execute(every_host).fetchall()]
        con.execute("CREATE OR REPLACE TEMPORARY TABLE _lake_bucket (host VARCHAR, b INTEGER)")
        con.executemany(
            "INSERT INTO _lake_bucket VALUES (?, ?)", [(h, host_bucket(h)) for h in hosts]
        )
        run_day = f"{now:%Y-%m-%d}"
        rows: dict[str, int] = {}
        files = size = 0
        for lake_table in HOST_TABLES:
            if _EXPORTED[lake_table] not in present:
                continue
            for dt, bucket, first, last in _sort(con, lake_table, run_day):
                query = f"SELECT * FROM _lake_sorted WHERE rowid BETWEEN {first} AND {last}"
                path = (
                    root
                    / lake_table
                    / f"dt={dt}"
                    / f"host_bucket={bucket:02d}"
                    / f"run-{run_id}.parquet"
                )
                size += _copy(con, query, path, run_id)
                files += 1
                rows[lake_table] = rows.get(lake_table, 0) + last - first + 1
            con.execute("DROP TABLE _lake_sorted")
        for table, stored in RUN_TABLES.items():
            if stored not in present:
                continue
            new = f"FROM {stored} WHERE run IN (SELECT id FROM _lake_new)"
            query = f"SELECT {_lit(run_id)} AS run_id, * {new}"
            size += _copy(
                con, query, root / table / f"dt={run_day}" / f"run-{run_id}.parquet", run_id
            )
            files += 1
            counted = con.execute(f"SELECT count(*) {new}").fetchone()
            rows[table] = int(counted[0]) if counted else 0
        con.execute(
            "CREATE OR REPLACE TEMPORARY TABLE _lake_run AS SELECT ? AS run_id, "
            "?::TIMESTAMP AS exported_at, ? AS schema_version, ? AS fingerprint, "
            "(SELECT list(host ORDER BY host) FROM _lake_bucket) AS hosts, "
            "?::BIGINT AS connections, ?::BIGINT AS events, "
            '(SELECT min(coalesce(start, "end")) FROM _lake_conns) AS first_ts, '
            '(SELECT max(coalesce("end", start)) FROM _lake_conns) AS last_ts, '
            "?::INTEGER AS files, ?::BIGINT AS data_bytes, "
            "(SELECT list({'id': id, 'started': started} ORDER BY id) FROM _lake_new) "
            "AS store_runs",
            [
                run_id,
                now.replace(tzinfo=None),
                SCHEMA_VERSION,
                fingerprint,
                rows.get("connections", 0),
                rows.get("events", 0),
                files + 1,
                size,
            ],
        )
        run_path = root / "runs" / f"dt={run_day}" / f"run-{run_id}.parquet"
        size += _copy(con, "SELECT * FROM _lake_run", run_path, run_id)
        return ExportResult(run_id, rows, files + 1, size)
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(exc) from None
    except (duckdb.Error, OSError) as exc:
        raise StoreError(
            f"cannot export to {lake}: {exc}", "check the directory and free space"
        ) from None


def _window(
    since: datetime | None, until: datetime | None, time_col: str
) -> tuple[str, str, list[object]]:
    """WHERE clauses: whole days (so DuckDB skips other partitions' files), and exact."""
    days: list[str] = ["TRUE"]
    exact: list[str] = ["TRUE"]
    params: list[object] = []
    when = f'coalesce("{time_col}", "end")' if time_col == "start" else f'"{time_col}"'
    if since is not None:
        naive = since.astimezone(UTC).replace(tzinfo=None)
        # Whole days on the partition column: DuckDB skips other days' files unopened.
        days.append(f"dt >= DATE '{naive:%Y-%m-%d}'")
        exact.append(f"{when} >= ?")
        params.append(naive)
    if until is not None:
        naive = until.astimezone(UTC).replace(tzinfo=None)
        days.append(f"dt <= DATE '{naive:%Y-%m-%d}'")
        exact.append(f"{when} <= ?")
        params.append(naive)
    return " AND ".join(days), " AND ".join(exact), params


def _latest_connections(
    con: duckdb.DuckDBPyConnection, glob: str, days: str, exact: str, params: list[object]
) -> None:
    """Insert into ``connections`` one row per connection id, the latest export's.

    Files of other writers (the Spark job, older exports) lack ``exported_at``: read by
    name then (their rows rank below any export's)."""
    for union in (False, True):
        source = f"read_parquet({glob}, {_HIVE}{', union_by_name = true' if union else ''})"
        cols = _columns(con, source)
        if "exported_at" not in cols and not union:
            continue  # the first file is another writer's: read every file's columns
        latest = "exported_at DESC NULLS LAST" if "exported_at" in cols else "1"
        extra = [c for c in ("exported_at", "still_open") if c in cols]
        try:
            con.execute(
                "INSERT INTO connections BY NAME SELECT * EXCLUDE "
                f"(dt, host_bucket{''.join(', ' + c for c in extra)}) FROM (SELECT * FROM "
                f"{source} WHERE {days} QUALIFY row_number() OVER (PARTITION BY id "
                f"ORDER BY {latest}) = 1) WHERE {exact}",
                params,
            )
            return
        except duckdb.InvalidInputException as exc:
            if union or "schema mismatch" not in str(exc):
                raise


def load(lake: str, since: datetime | None = None, until: datetime | None = None) -> Store:
    """An in-memory store holding the lake's connections that started in the window.

    Partitions outside the window's days are pruned (their files are never opened); the
    sources and unmatched shapes are those of the runs whose data overlaps the window.
    """
    root = Path(lake)
    files = sorted(root.glob("connections/dt=*/host_bucket=*/*.parquet"))
    if not files:
        raise StoreError(
            f"no connections in the lake at {lake}",
            "write one with `logsleuth export --parquet DIR`",
        )
    store = Store.scratch()  # spills to disk beyond its memory limit
    con = store.con
    try:
        days, exact, params = _window(since, until, "start")
        glob = _lit(str(root / "connections" / "*" / "*" / "*.parquet"))
        _latest_connections(con, glob, days, exact, params)
        if not any(root.glob("runs/*/*.parquet")):
            return store  # connections written by another tool (the Spark job): no runs
        runs = _lit(str(root / "runs" / "*" / "*.parquet"))
        overlap, rparams = "TRUE", list[object]()
        if since is not None:
            overlap += " AND last_ts >= ?"
            rparams.append(since.astimezone(UTC).replace(tzinfo=None))
        if until is not None:
            overlap += " AND first_ts <= ?"
            rparams.append(until.astimezone(UTC).replace(tzinfo=None))
        con.execute(
            f"CREATE TEMPORARY TABLE _runs AS SELECT run_id, exported_at FROM read_parquet({runs}, "
            f"{_HIVE_RUN}) WHERE {overlap}",
            rparams,
        )
        if any(root.glob("sources/*/*.parquet")):
            src = _lit(str(root / "sources" / "*" / "*.parquet"))
            con.execute(
                "INSERT INTO run_sources BY NAME SELECT s.* EXCLUDE (dt, run_id, seq, run), "
                "1 AS run, "
                "(row_number() OVER (ORDER BY r.exported_at, r.run_id, s.seq))::INTEGER AS seq "
                f"FROM read_parquet({src}, {_HIVE_RUN}) s JOIN _runs r USING (run_id)"
            )
        if any(root.glob("unmatched/*/*.parquet")):
            unm = _lit(str(root / "unmatched" / "*" / "*.parquet"))
            con.execute(
                "INSERT INTO unmatched SELECT 1, shape, sum(count)::BIGINT, "
                "arg_min(example, r.exported_at) "
                f"FROM read_parquet({unm}, {_HIVE_RUN}) u JOIN _runs r USING (run_id) "
                "GROUP BY shape"
            )
    except duckdb.Error as exc:
        store.close()
        first = str(exc).strip().splitlines()[0]
        raise LogsleuthError(
            f"cannot read the lake at {lake}: {first}", "was it written by `logsleuth export`?"
        ) from None
    return store
