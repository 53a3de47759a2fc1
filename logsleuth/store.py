"""The DuckDB store: connections, sources and unmatched shapes; rollups are ``sql/*.sql``.

This is the only module that imports duckdb. Rows are bulk-loaded through a temporary
newline-delimited JSON file, which DuckDB reads far faster than row-by-row inserts.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from importlib import resources
from typing import Any, TypeVar

import duckdb

from logsleuth.errors import LogsleuthError, StoreError
from logsleuth.model import Connection, Evidence, PatternId, SourceInfo, UnmatchedShape

_EVIDENCE = "STRUCT(source VARCHAR, line BIGINT, text VARCHAR)"


def _ev(e: Evidence) -> dict[str, Any]:
    return {"source": e.source, "line": e.line, "text": e.text}


def _unev(raw: dict[str, Any] | None) -> Evidence | None:
    return Evidence(raw["source"], raw["line"], raw["text"]) if raw else None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the ``connections`` table and how a Connection maps to it."""

    name: str
    sql: str
    dump: Callable[[Connection], Any]
    """Connection -> JSON-able value for the bulk load."""
    load: Callable[[Any], Any] | None = None
    """Stored value -> the Connection field of the same name; None: derived, not loaded."""


def _same(v: Any) -> Any:
    return v


#: The one definition of a stored connection: the table, the load and the unload.
CONNECTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "BIGINT", lambda c: c.id, _same),
    Column("host", "VARCHAR", lambda c: c.host, _same),
    Column("direction", "VARCHAR", lambda c: c.direction, _same),
    Column("client_ip", "VARCHAR", lambda c: c.client_ip, _same),
    Column("client_port", "INTEGER", lambda c: c.client_port, _same),
    Column("user", "VARCHAR", lambda c: c.user, _same),
    Column("authenticated", "BOOLEAN", lambda c: c.authenticated, bool),
    Column("method", "VARCHAR", lambda c: c.method, _same),
    Column("start", "TIMESTAMP", lambda c: _naive(c.start), lambda v: _aware(v)),
    Column("end", "TIMESTAMP", lambda c: _naive(c.end), lambda v: _aware(v)),
    Column("duration_s", "DOUBLE", lambda c: c.duration_s),
    Column("family", "VARCHAR", lambda c: c.family, _same),
    Column("cause", "VARCHAR", lambda c: c.cause, _same),
    Column("pattern_id", "VARCHAR", lambda c: c.pattern_id, lambda v: PatternId(v) if v else None),
    Column("failures", "BIGINT", lambda c: c.failures, lambda v: v or 0),
    Column("note", "VARCHAR", lambda c: c.note, _same),
    Column("pids", "BIGINT[]", lambda c: list(c.pids), lambda v: tuple(v or ())),
    Column("decisive", _EVIDENCE, lambda c: _ev(c.decisive) if c.decisive else None, _unev),
    Column(
        "evidence",
        f"{_EVIDENCE}[]",
        lambda c: [_ev(e) for e in c.evidence],
        lambda v: tuple(Evidence(e["source"], e["line"], e["text"]) for e in v or ()),
    ),
)
_CONN_COLUMNS = {c.name: c.sql for c in CONNECTION_COLUMNS}
_LOADED = tuple(c for c in CONNECTION_COLUMNS if c.load is not None)
_SELECT = ", ".join(f'"{c.name}"' for c in _LOADED)
#: The stable order of connections in every report: host, direction, start (unknown first).
CONNECTION_ORDER = "host, direction, start NULLS FIRST, id"


def connections_ddl(table: str = "connections", temporary: bool = False) -> str:
    """``CREATE TABLE`` for stored connections, generated from :data:`CONNECTION_COLUMNS`."""
    cols = ",\n    ".join(f'"{c.name}" {c.sql}' for c in CONNECTION_COLUMNS)
    temp = "TEMPORARY " if temporary else ""
    return f"CREATE {temp}TABLE IF NOT EXISTS {table} (\n    {cols}\n);\n"


def connection_row(c: Connection) -> dict[str, Any]:
    """A connection as one bulk-load row."""
    return {col.name: col.dump(c) for col in CONNECTION_COLUMNS}


def unload_connection(row: Sequence[Any]) -> Connection:
    """A row of ``SELECT <loaded columns>`` back into a Connection."""
    return Connection(
        **{col.name: col.load(v) for col, v in zip(_LOADED, row, strict=True) if col.load}
    )


def _value(v: Any) -> Any:
    """A DuckDB value as a model value (aware UTC times, Evidence, tuples)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v
    if isinstance(v, list):
        return tuple(_value(x) for x in v)
    if isinstance(v, dict) and v.keys() == {"source", "line", "text"}:
        return Evidence(v["source"], v["line"], v["text"])
    return v


BATCH = 20_000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """One column of the stored schema, for the schema page and ``logsleuth sql``."""

    table: str
    name: str
    type: str
    description: str | None
    table_description: str | None


def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (resources.files("logsleuth") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def _naive(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if ts else None


def _aware(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=UTC) if ts is not None else None


class Store:
    """A DuckDB database, in memory (``:memory:``) or in a file."""

    def __init__(self, path: str = ":memory:", *, read_only: bool = False) -> None:
        """Open (or create) a database; ``read_only`` opens an existing file for queries
        only, with no access to other files either."""
        if read_only and not os.path.isfile(path):
            raise StoreError(
                f"no database at {path}", "give the --db that `logsleuth ingest` writes"
            )
        try:
            self.con = (
                duckdb.connect(path, read_only=True, config={"enable_external_access": False})
                if read_only
                else duckdb.connect(path)
            )
        except duckdb.Error as exc:
            hint = (
                "another logsleuth may be running; wait for it or use another --db"
                if "lock" in str(exc).lower()
                else "check the path and its permissions"
            )
            raise StoreError(f"cannot open database {path}: {exc}", hint) from None
        if not read_only:
            self.con.execute(connections_ddl() + sql("schema"))
            self.con.execute(sql("comments"))
        self._source_seq = 0

    def close(self) -> None:
        """Close the database."""
        self.con.close()

    def _load_ndjson(
        self, table: str, columns: dict[str, str], rows: Iterable[dict[str, Any]]
    ) -> int:
        fd, path = tempfile.mkstemp(prefix="logsleuth-", suffix=".ndjson")
        n = 0
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False))
                    fh.write("\n")
                    n += 1
            if n:
                cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
                names = ", ".join(f'"{k}"' for k in columns)
                self.con.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM read_json(?, "
                    f"format='newline_delimited', columns={{{cols}}})",
                    [path],
                )
        finally:
            os.unlink(path)
        return n

    def add_connections(self, conns: Iterable[Connection]) -> int:
        """Bulk-insert connections."""
        return self._load_ndjson("connections", _CONN_COLUMNS, map(connection_row, conns))

    def add_source(self, info: SourceInfo) -> None:
        """Record what was read from one source."""
        self._source_seq += 1
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self._source_seq,
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

    def add_unmatched(self, shapes: Iterable[UnmatchedShape]) -> None:
        """Record unmatched message shapes."""
        self._load_ndjson(
            "unmatched",
            {"shape": "VARCHAR", "count": "BIGINT", "example": "VARCHAR"},
            ({"shape": s.shape, "count": s.count, "example": s.example} for s in shapes),
        )

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
        return [row(*map(_value, r)) for r in cur.fetchall()]

    def sources(self) -> list[SourceInfo]:
        """Every source, in the order read."""
        return self.query_as("sources", SourceInfo)

    def unmatched(self) -> tuple[int, list[UnmatchedShape]]:
        """The total of unmatched lines and the most frequent shapes."""
        total = self.con.execute("SELECT coalesce(sum(count), 0) FROM unmatched").fetchone()
        return int(total[0]) if total else 0, self.query_as("unmatched", UnmatchedShape)

    def connections(self) -> Iterator[Connection]:
        """Every connection as a model object, in a stable order."""
        cur = self.con.execute(f"SELECT {_SELECT} FROM connections ORDER BY {CONNECTION_ORDER}")
        while rows := cur.fetchmany(5000):
            yield from map(unload_connection, rows)
