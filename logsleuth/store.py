"""The DuckDB store: connections, runs, read positions, the sessionizer's live state and
unmatched shapes; rollups are ``sql/*.sql``.

This is the only module that imports duckdb. Rows are bulk-loaded through a temporary
newline-delimited JSON file, which DuckDB reads far faster than row-by-row inserts.

Memory is bounded whatever the input: DuckDB gets at most :func:`memory_limit_mb` of
memory and spills what does not fit (sorts, aggregates, table pages) to a temporary
directory. ``scan`` therefore stores into a database file in a private temporary
directory (:meth:`Store.scratch`, removed on close), never ``:memory:``, whose pages
could not be spilled.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar, overload

import duckdb

from logsleuth.errors import LogsleuthError, StoreError
from logsleuth.model import Connection, SourceInfo, UnmatchedShape
from logsleuth.positions import Position
from logsleuth.store_columns import (
    CONNECTION_COLUMNS,
    CONNECTION_ORDER,
    CONNECTION_TYPES,
    EVENT_COLUMNS,
    EVENT_LOAD,
    SELECT_COLUMNS,
    EventBatch,
    aware,
    connection_line,
    connections_ddl,
    event_rows,
    events_ddl,
    naive,
    to_model,
    unload_connection,
    write_lines,
)

__all__ = ["CONNECTION_COLUMNS", "ConnectionPages", "RunRecord", "Store", "Window"]

BATCH = 20_000
T = TypeVar("T")
SCHEMA_VERSION = "3"
#: DuckDB's memory (buffer pool, sorts, aggregates) in MiB unless the environment
#: variable :data:`MEMORY_ENV` says otherwise; beyond it DuckDB spills to disk.
MEMORY_LIMIT_MB = 128
MEMORY_ENV = "LOGSLEUTH_DUCKDB_MEMORY_MB"
#: DuckDB's worker threads: each sorts and aggregates in buffers of its own, so more
#: threads need more memory for the same limit (the Python side is single-threaded).
THREADS = 1


def memory_limit_mb() -> int:
    """DuckDB's memory limit in MiB: :data:`MEMORY_ENV` if set to a number >= 32, else
    :data:`MEMORY_LIMIT_MB`."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text.isascii() and text.isdigit() and 32 <= int(text) <= 1 << 30:
        return int(text)
    return MEMORY_LIMIT_MB


def out_of_memory(exc: Exception) -> StoreError:
    """The clear error for DuckDB running out of its memory limit."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"the database ran out of its memory limit of {memory_limit_mb()} MiB ({first})",
        f"raise the limit with {MEMORY_ENV}=MIB, or read fewer sources at once",
    )


@contextmanager
def memory_guard() -> Iterator[None]:
    """Turn DuckDB running out of its memory limit into a :class:`StoreError`."""
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(exc) from None


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """One column of the stored schema, for the schema page and ``logsleuth sql``."""

    table: str
    name: str
    type: str
    description: str | None
    table_description: str | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One committed run."""

    id: int
    started: datetime
    finished: datetime
    lines: int
    ssh_lines: int
    connections: int


@dataclass(frozen=True, slots=True)
class Window:
    """Which stored connections a report covers: those overlapping [since, until], on host."""

    since: datetime | None = None
    until: datetime | None = None
    host: str | tuple[str, ...] | None = None
    """One host, or several (``--host`` is repeatable); None: every host."""


def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (resources.files("logsleuth") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_lock_error(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


class Store:
    """A DuckDB database, in memory (``:memory:``) or in a file."""

    def __init__(
        self,
        path: str = ":memory:",
        *,
        read_only: bool = False,
        wait: float = 0.0,
        temp_directory: str | None = None,
        describe: bool = True,
    ) -> None:
        """Open (or create) a database; ``read_only`` opens an existing file for queries
        only, with no access to other files either. ``wait``: seconds to wait for another
        logsleuth holding the file before giving up with a clear error.
        ``temp_directory``: where DuckDB spills what exceeds its memory limit (default:
        ``PATH.tmp`` beside a database file; a ``:memory:`` store cannot spill its
        tables, only its sorts and aggregates, and only with a directory given).
        ``describe``: give a new database's tables and columns their descriptions (a
        scratch database, which no one queries, goes without)."""
        if read_only and not os.path.isfile(path):
            raise StoreError(
                f"no database at {path}", "give the --db that `logsleuth ingest` writes"
            )
        self.path = path
        self._scratch: str | None = None
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{memory_limit_mb()}MiB",
            "threads": THREADS,
        }
        if temp_directory is not None:
            config["temp_directory"] = temp_directory
        if read_only:
            config["enable_external_access"] = False
        deadline = time.monotonic() + wait
        while True:
            try:
                self.con = duckdb.connect(path, read_only=read_only, config=config)
                break
            except duckdb.Error as exc:
                if _is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                if _is_lock_error(exc):
                    raise StoreError(
                        f"database {path} is in use by another logsleuth"
                        + (f" (waited {wait:.0f} s)" if wait else ""),
                        "wait for the other ingest or report to finish, or raise --wait",
                    ) from None
                raise StoreError(
                    f"cannot open database {path}: {exc}", "check the path and its permissions"
                ) from None
        self.con.execute("SET enable_progress_bar = false")  # never draw on the terminal
        self._db = str(self.con.execute("SELECT current_database()").fetchall()[0][0])
        if read_only:
            self.include_open_connections()
        elif not self._check_version():
            self._create(describe)
        self._window: Window | None = None
        self._pending: list[Connection] = []

    def include_open_connections(self) -> None:
        """From now on ``connections`` also holds the ones the last run left open."""
        tables = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if "open_connections" not in tables:
            return
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW connections AS SELECT * FROM "
            f"{self._table('connections')} UNION ALL SELECT * FROM "
            f"{self._table('open_connections')}"
        )

    def _table(self, name: str) -> str:
        return f'"{self._db}".main.{name}'

    def _create(self, describe: bool = True) -> None:
        self.con.execute(
            connections_ddl() + connections_ddl("open_connections") + events_ddl() + sql("schema")
        )
        if describe:
            self._describe()
        if not self.con.execute("SELECT count(*) FROM meta").fetchall()[0][0]:
            self.con.execute("INSERT INTO meta VALUES ('schema', ?)", [SCHEMA_VERSION])

    def _describe(self) -> None:
        """The descriptions of the tables and columns (``logsleuth sql --schema``)."""
        self.con.execute(sql("comments"))
        # open_connections has the columns of connections, and their descriptions.
        same = self.con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = "
            "'connections' AND schema_name = 'main' AND database_name = current_database()"
        ).fetchall()
        self.con.execute(
            "".join(
                f'COMMENT ON COLUMN open_connections."{name}" IS {_literal(comment or "")};\n'
                for name, comment in same
            )
            + "COMMENT ON TABLE open_connections IS 'Connections the last run left open or not "
            "yet settled, with the verdicts the input so far gives (replaced every run; "
            "reports compute them from live_state).'"
        )

    def _check_version(self) -> bool:
        """Whether the database already holds this version's schema (a database of
        another version is an error; an empty one gets the schema)."""
        tables = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if not tables:
            return False
        version = None
        if "meta" in tables:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchall()
            version = row[0][0] if row else None
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} was written by another logsleuth version "
                f"(schema {version or 1}, this one writes {SCHEMA_VERSION})",
                "ingest into a new --db",
            )
        return True

    @classmethod
    def scratch(cls) -> Store:
        """A new database file in a private temporary directory (with the directory
        DuckDB spills to), both removed by :meth:`close`: ``scan``'s store."""
        folder = tempfile.mkdtemp(prefix="logsleuth-scan-")
        try:
            store = cls(
                os.path.join(folder, "scan.duckdb"),
                temp_directory=os.path.join(folder, "spill"),
                describe=False,
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        store._scratch = folder
        # Deleted when closed: writing its log into the file first would be wasted work
        # (~0.3 s for 100,000 connections).
        store.con.execute("PRAGMA disable_checkpoint_on_shutdown")
        return store

    @property
    def temporary(self) -> bool:
        """Whether this is a scratch database (:meth:`scratch`), deleted on close."""
        return self._scratch is not None

    def settings(self) -> dict[str, str]:
        """DuckDB's memory limit, threads and spill directory for this database."""
        rows = self.con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('memory_limit', 'threads', 'temp_directory')"
        ).fetchall()
        return {str(k): str(v) for k, v in rows}

    def close(self) -> None:
        """Close the database (a transaction still open is rolled back); a scratch
        database is deleted with its directory."""
        try:
            self.con.close()
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    # -- transactions -------------------------------------------------------------------
    def begin(self) -> None:
        """Start the run's transaction: nothing is visible to others until :meth:`commit`."""
        self.con.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        """Make the run's writes durable, all at once."""
        self.con.execute("COMMIT")
        if self.path != ":memory:" and self._scratch is None:
            self.con.execute("CHECKPOINT")

    def rollback(self) -> None:
        """Drop the run's writes."""
        self.con.execute("ROLLBACK")

    # -- writing ------------------------------------------------------------------------
    def _load_ndjson(
        self,
        table: str,
        columns: dict[str, str],
        rows: Iterable[dict[str, Any]],
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        encode = json.JSONEncoder(ensure_ascii=False).encode
        return self._load_lines(table, columns, map(encode, rows), con)

    def _load_lines(
        self,
        table: str,
        columns: dict[str, str],
        lines: Iterable[str],
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        """Insert rows given as JSON object texts (one per row) through a temporary
        newline-delimited JSON file, which DuckDB reads far faster than inserts."""
        fd, path = tempfile.mkstemp(prefix="logsleuth-", suffix=".ndjson")
        n = 0
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                n = write_lines(fh, lines)
            if n:
                self._insert_files(table, columns, [path], con)
        finally:
            os.unlink(path)
        return n

    def _insert_files(
        self,
        table: str,
        columns: dict[str, str],
        paths: Sequence[str],
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        """Insert the rows of newline-delimited JSON files; how many."""
        cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
        names = ", ".join(f'"{k}"' for k in columns)
        rows = (
            (con or self.con)
            .execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM read_json(?, "
                f"format='newline_delimited', columns={{{cols}}})",
                [list(paths)],
            )
            .fetchall()
        )
        return int(rows[0][0]) if rows else 0

    def add_connection_files(self, paths: Sequence[str]) -> int:
        """Bulk-insert finished connections written as load lines (``connection_line``)
        into files, e.g. by a split scan's helper process; how many."""
        return self._insert_files("connections", CONNECTION_TYPES, paths) if paths else 0

    def add_connections(self, conns: Iterable[Connection]) -> int:
        """Bulk-insert finished connections."""
        return self._load_lines("connections", CONNECTION_TYPES, map(connection_line, conns))

    def stage_events(self, batch: EventBatch, path: str) -> int:
        """Write a batch of events to a Parquet file at ``path`` for :meth:`add_events`
        (through Arrow: a few microseconds a row). Rows appended to the run's transaction
        batch by batch would stay in memory until it commits (~270 bytes a row); staged
        and loaded at once they are written out as they are read."""
        if not batch.events:
            return 0
        # Only runs that keep events pay for the import.
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32()}
        types["TIMESTAMP"] = pa.timestamp("us")  # aware times become UTC
        row = pa.struct([(c.name, types[c.carried or c.sql]) for c in EVENT_COLUMNS])
        table = pa.Table.from_batches(
            [pa.RecordBatch.from_struct_array(pa.array(event_rows(batch), type=row))]
        )
        pq.write_table(table, path, compression="snappy")
        return len(batch.events)

    def add_events(self, paths: Sequence[str]) -> int:
        """Insert the events staged in these files, in their order (one statement)."""
        if not paths:
            return 0
        files = "[" + ", ".join(map(_literal, paths)) + "]"
        row = self.con.execute(
            f"INSERT INTO events SELECT {EVENT_LOAD} FROM read_parquet({files})"
        ).fetchone()
        return int(row[0]) if row else 0

    def relink_events(self, moves: Sequence[tuple[int, int]]) -> None:
        """Give events the final id of a connection whose id changed after they were
        stored (``(old, new)`` pairs, applied in order)."""
        # One UPDATE for all of them (each is a pass over every stored event): the moves
        # composed first, so that a chain a -> b -> c moves a's rows to c.
        final: dict[int, int] = {}
        sources: dict[int, set[int]] = {}  # current id -> the first ids now carrying it
        for old, new in moves:
            moved = sources.pop(old, set())
            if old not in final:
                moved.add(old)
            for first in moved:
                final[first] = new
            sources.setdefault(new, set()).update(moved)
        pairs = [(a, b) for a, b in final.items() if a != b]
        if not pairs:
            return
        self.con.execute(
            "UPDATE events SET connection_id = m.new FROM (SELECT unnest($old) AS old, "
            "unnest($new) AS new) m WHERE events.connection_id = m.old",
            {"old": [a for a, _ in pairs], "new": [b for _, b in pairs]},
        )

    def new_run_id(self) -> int:
        """The id the next run gets."""
        return int(self.con.execute("SELECT coalesce(max(id), 0) + 1 FROM runs").fetchall()[0][0])

    def add_run(self, run: RunRecord) -> None:
        """Record a run (committed with it)."""
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
            [
                run.id,
                naive(run.started),
                naive(run.finished),
                run.lines,
                run.ssh_lines,
                run.connections,
            ],
        )

    def add_source(self, info: SourceInfo, run: int = 1) -> None:
        """Record what a run read from one source."""
        seq = self.con.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM run_sources WHERE run = ?", [run]
        ).fetchall()[0][0]
        self.con.execute(
            "INSERT INTO run_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run,
                seq,
                info.path,
                info.reader,
                info.lines,
                info.ssh_lines,
                info.matched,
                info.unmatched,
                info.error,
                info.hint,
                info.note,
            ],
        )

    def add_unmatched(self, shapes: Iterable[UnmatchedShape], run: int = 1) -> None:
        """Record a run's unmatched message shapes."""
        self._load_ndjson(
            "unmatched",
            {"run": "INTEGER", "shape": "VARCHAR", "count": "BIGINT", "example": "VARCHAR"},
            (
                {"run": run, "shape": s.shape, "count": s.count, "example": s.example}
                for s in shapes
            ),
        )

    def positions(self) -> list[Position]:
        """Every stream's read position."""
        rows = self.con.execute(
            'SELECT stream, path, reader, device, inode, size, mtime_ns, head, "offset", lines, '
            '"cursor" FROM sources ORDER BY stream'
        ).fetchall()
        return [
            Position(
                stream=r[0],
                path=r[1],
                reader=r[2],
                device=r[3],
                inode=r[4],
                size=r[5],
                mtime_ns=r[6],
                head=bytes(r[7] or b""),
                offset=r[8],
                lines=r[9],
                cursor=r[10],
            )
            for r in rows
        ]

    def save_positions(self, positions: Sequence[Position], run: int) -> None:
        """Replace the read positions."""
        self.con.execute("DELETE FROM sources")
        if not positions:
            return
        self.con.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    p.stream,
                    p.path,
                    p.reader,
                    p.device,
                    p.inode,
                    p.size,
                    p.mtime_ns,
                    p.head,
                    p.offset,
                    p.lines,
                    p.cursor,
                    run,
                ]
                for p in positions
            ],
        )

    def save_open_connections(self, conns: Sequence[Connection]) -> None:
        """Replace the snapshot of open connections (for queries over the database)."""
        self.con.execute("DELETE FROM open_connections")
        self._load_lines("open_connections", CONNECTION_TYPES, map(connection_line, conns))

    def live_state(self) -> bytes | None:
        """The sessionizer state the last run saved, if any."""
        rows = self.con.execute("SELECT state FROM live_state ORDER BY run DESC LIMIT 1").fetchall()
        return bytes(rows[0][0]) if rows else None

    def facts_state(self) -> bytes | None:
        """The host facts saved by the last run, if any."""
        rows = self.con.execute(
            "SELECT state FROM facts_state ORDER BY run DESC LIMIT 1"
        ).fetchall()
        return bytes(rows[0][0]) if rows else None

    def save_facts_state(self, state: bytes, run: int) -> None:
        """Replace the saved host facts with this run's."""
        self.con.execute("DELETE FROM facts_state")
        self.con.execute("INSERT INTO facts_state VALUES (?, ?)", [run, state])

    def save_live_state(self, state: bytes, run: int) -> None:
        """Replace the sessionizer state."""
        self.con.execute("DELETE FROM live_state")
        self.con.execute("INSERT INTO live_state VALUES (?, ?)", [run, state])

    # -- the report's view --------------------------------------------------------------
    def _prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make ``connections`` mean the window's connections, open ones included."""
        con.execute(connections_ddl("pending", temporary=True))
        con.execute("DELETE FROM pending")
        self._load_lines("pending", CONNECTION_TYPES, map(connection_line, self._pending), con)
        w = self._window or Window()
        where = ["TRUE"]
        if w.since is not None:
            where.append(f'("end" IS NULL OR "end" >= {_literal(str(naive(w.since)))})')
        if w.until is not None:
            where.append(f"(start IS NULL OR start <= {_literal(str(naive(w.until)))})")
        if w.host is not None:
            hosts = (w.host,) if isinstance(w.host, str) else w.host
            where.append(f"host IN ({', '.join(map(_literal, hosts))})")
        stored = self._table("connections")
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW connections AS SELECT * FROM ("
            f"SELECT * FROM {stored} UNION ALL SELECT * FROM pending) WHERE {' AND '.join(where)}"
        )

    def hosts(self) -> list[str]:
        """Every host with a stored connection (finished or still open), whatever the window."""
        rows = self.con.execute(
            f"SELECT host FROM {self._table('connections')} UNION "
            f"SELECT host FROM {self._table('open_connections')} ORDER BY host"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def open_window(self, window: Window, pending: Sequence[Connection]) -> None:
        """From now on, every rollup reads the connections of ``window`` plus ``pending``
        (the connections the live state still holds, with their end-of-input verdicts)."""
        self._window, self._pending = window, list(pending)
        self._prepare(self.con)

    def first_run(self, since: datetime | None) -> int:
        """The first run a report covers: the one that read ``since``, else every run."""
        if since is None:
            return 1
        rows = self.con.execute(
            "SELECT coalesce(max(id), 1) FROM runs WHERE finished < ?", [naive(since)]
        ).fetchall()
        return int(rows[0][0])

    def coverage(self, first_run: int) -> tuple[int, datetime | None, datetime | None]:
        """Runs from ``first_run`` on: how many, the first start and the last finish."""
        row = self.con.execute(
            "SELECT count(*), min(started), max(finished) FROM runs WHERE id >= ?", [first_run]
        ).fetchall()[0]
        return int(row[0]), aware(row[1]), aware(row[2])

    def line_span(self) -> tuple[datetime | None, datetime | None]:
        """The earliest and latest time of the window's connections."""
        row = self.con.execute(
            'SELECT min(start), max(coalesce("end", start)) FROM connections'
        ).fetchall()[0]
        return aware(row[0]), aware(row[1])

    # -- reading ------------------------------------------------------------------------
    def query(self, name: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql/<name>.sql`` and return all rows (raw DuckDB values)."""
        return self.con.execute(sql(name), params or []).fetchall()

    def run(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a user's SQL; return the column names and all rows (a clear error if bad)."""
        try:
            cur = self.con.execute(query)
            names = [d[0] for d in cur.description or ()]
            return names, cur.fetchall() if names else []
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LogsleuthError(
                f"query failed: {first}", "the tables and columns: `logsleuth sql --schema`"
            ) from None

    def columns(self) -> list[ColumnDoc]:
        """Every column of the schema with its type and description, table by table."""
        rows = self.con.execute(
            "SELECT c.table_name, c.column_name, c.data_type, c.comment, t.comment "
            "FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, "
            "schema_name, table_name) WHERE c.database_name = current_database() "
            "AND c.schema_name = 'main' AND NOT c.internal "
            "ORDER BY t.table_name, c.column_index"
        ).fetchall()
        return [ColumnDoc(*r) for r in rows]

    def query_as(self, name: str, row: type[T], params: list[Any] | None = None) -> list[T]:
        """Run ``sql/<name>.sql`` and return its rows as ``row`` dataclasses.

        The query's column names must be the dataclass's fields, in order (a mismatch is
        a programming error and raises TypeError). Values become model values: aware UTC
        datetimes, :class:`Evidence` for evidence structs, tuples for lists.
        """
        cur = self.con.execute(sql(name), params or [])
        names = [d[0] for d in cur.description or ()]
        expected = [f.name for f in fields(row)]  # type: ignore[arg-type]
        if names != expected:
            raise TypeError(f"sql/{name}.sql returns {names}, {row.__name__} expects {expected}")
        return [row(*map(to_model, r)) for r in cur.fetchall()]

    def sources(self, first_run: int = 1) -> list[SourceInfo]:
        """Every source read from run ``first_run`` on, in the order first read."""
        return self.query_as("sources", SourceInfo, [first_run])

    def unmatched(self, first_run: int = 1) -> tuple[int, list[UnmatchedShape]]:
        """The total of unmatched lines and the most frequent shapes."""
        total = self.con.execute(
            "SELECT coalesce(sum(count), 0) FROM unmatched WHERE run >= ?", [first_run]
        ).fetchone()
        shapes = self.query_as("unmatched", UnmatchedShape, [first_run])
        return int(total[0]) if total else 0, shapes

    def connections(self) -> Iterator[Connection]:
        """Every connection (of the window, if one is open) as a model object, in order."""
        yield from ConnectionPages(self)

    def connection_pages(self) -> ConnectionPages:
        """The window's connections as a sequence read from the store page by page."""
        return ConnectionPages(self)


#: The report order (:data:`CONNECTION_ORDER`) as a row value (no NULL: an unknown start
#: sorts first), for ranges of it.
_ORDER_KEY = "(host, direction, coalesce(start, TIMESTAMP '0001-01-01'), id)"
_NO_START = datetime(1, 1, 1)  # TIMESTAMP '0001-01-01': before any time a log holds
#: What a connection weighs in memory, roughly: its evidence lines.
_WEIGHT = "coalesce(list_sum(list_transform(evidence, lambda e: strlen(e.text) + 64)), 0) + 200"


def _range(lo: tuple[Any, ...] | None, hi: tuple[Any, ...] | None) -> tuple[list[str], list[Any]]:
    """The conditions (and their parameters) of the keys after ``lo`` up to ``hi``.

    Besides the row comparison, plain conditions on ``host`` and ``start`` let DuckDB
    skip the row groups outside the range (connections are stored about in time order).
    """
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if lo is not None:
        where.append(f"{_ORDER_KEY} > (?, ?, ?, ?)")
        params.extend(lo)
        where.append("host >= ?")
        params.append(lo[0])
    if hi is not None:
        where.append(f"{_ORDER_KEY} <= (?, ?, ?, ?)")
        params.extend(hi)
        where.append("host <= ?")
        params.append(hi[0])
    if lo is not None and hi is not None and lo[:2] == hi[:2]:
        # One host and direction: the range is a span of start times.
        if hi[2] == _NO_START:
            where.append("start IS NULL")
        elif lo[2] == _NO_START:
            where.append("(start IS NULL OR start <= ?)")
            params.append(hi[2])
        else:
            where.append("start BETWEEN ? AND ?")
            params.extend((lo[2], hi[2]))
    return where, params


class ConnectionPages(Sequence[Connection]):
    """The connections of a store's window, in report order, never all in memory.

    Each iteration reads through its own cursor (with the same window), so renderers may
    iterate while other rollups run; the store must stay open while it is used. The
    connections are read in ranges of the report order of at most :attr:`RANGE_ROWS`
    rows and about :attr:`RANGE_BYTES` of evidence, each sorted on its own, and fetched
    :attr:`PAGE` rows at a time: DuckDB sorts the narrow keys within its memory limit
    whatever their number, but not wide rows (a connection with dozens of evidence
    lines) beyond about its memory limit in all.
    """

    RANGE_ROWS = 250_000
    RANGE_BYTES = 24 << 20
    PAGE = 2000

    def __init__(self, store: Store) -> None:
        self._store = store
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            row = self._store.con.execute("SELECT count(*) FROM connections").fetchall()
            self._len = int(row[0][0])
        return self._len

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._store.con.cursor()
        if self._store._window is not None:
            self._store._prepare(cur)
        return cur

    def _bounds(self, cur: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
        """The last key of each range but the last, in order."""
        rows = cur.execute(
            "SELECT host, direction, s, id FROM (SELECT host, direction, s, id, weight, "
            "sum(weight) OVER w AS total, row_number() OVER w AS n FROM (SELECT host, "
            "direction, start, coalesce(start, TIMESTAMP '0001-01-01') AS s, id, "
            f"{_WEIGHT} AS weight FROM connections) "
            f"WINDOW w AS (ORDER BY {CONNECTION_ORDER} ROWS UNBOUNDED PRECEDING)) "
            "WHERE n % $rows = 0 OR total // $bytes <> (total - weight) // $bytes "
            "ORDER BY n",
            {"rows": self.RANGE_ROWS, "bytes": self.RANGE_BYTES},
        ).fetchall()
        return [tuple(r) for r in rows]

    def __iter__(self) -> Iterator[Connection]:
        cur = self._cursor()
        try:
            with memory_guard():
                bounds = self._bounds(cur)
                for lo, hi in zip([None, *bounds], [*bounds, None], strict=True):
                    where, params = _range(lo, hi)
                    cur.execute(
                        f"SELECT {SELECT_COLUMNS} FROM connections WHERE "
                        f"{' AND '.join(where)} ORDER BY {CONNECTION_ORDER}",
                        params,
                    )
                    while rows := cur.fetchmany(self.PAGE):
                        yield from map(unload_connection, rows)
        finally:
            cur.close()

    @overload
    def __getitem__(self, index: int) -> Connection: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Connection]: ...

    def __getitem__(self, index: int | slice) -> Connection | Sequence[Connection]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        cur = self._cursor()
        try:
            row = cur.execute(
                f"SELECT {SELECT_COLUMNS} FROM connections ORDER BY {CONNECTION_ORDER} "
                "LIMIT 1 OFFSET ?",
                [index],
            ).fetchall()[0]
        finally:
            cur.close()
        return unload_connection(row)
