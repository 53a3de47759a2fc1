"""The DuckDB store: connections, sources and unmatched shapes; rollups are ``sql/*.sql``.

This is the only module that imports duckdb. Rows are bulk-loaded through a temporary
newline-delimited JSON file, which DuckDB reads far faster than row-by-row inserts.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import duckdb

from logsleuth.errors import LogsleuthError, StoreError
from logsleuth.model import Connection, Evidence, PatternId, SourceInfo, UnmatchedShape

_EVIDENCE = "STRUCT(source VARCHAR, line BIGINT, text VARCHAR)"
_CONN_COLUMNS = {
    "id": "BIGINT",
    "host": "VARCHAR",
    "direction": "VARCHAR",
    "client_ip": "VARCHAR",
    "client_port": "INTEGER",
    "user": "VARCHAR",
    "authenticated": "BOOLEAN",
    "method": "VARCHAR",
    "start": "TIMESTAMP",
    "end": "TIMESTAMP",
    "duration_s": "DOUBLE",
    "family": "VARCHAR",
    "cause": "VARCHAR",
    "pattern_id": "VARCHAR",
    "failures": "INTEGER",
    "note": "VARCHAR",
    "pids": "BIGINT[]",
    "decisive": _EVIDENCE,
    "evidence": f"{_EVIDENCE}[]",
}
BATCH = 20_000


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


def _ev(e: Evidence) -> dict[str, Any]:
    return {"source": e.source, "line": e.line, "text": e.text}


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
            self.con.execute(sql("schema"))
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
        rows = (
            {
                "id": c.id,
                "host": c.host,
                "direction": c.direction,
                "client_ip": c.client_ip,
                "client_port": c.client_port,
                "user": c.user,
                "authenticated": c.authenticated,
                "method": c.method,
                "start": _naive(c.start),
                "end": _naive(c.end),
                "duration_s": c.duration_s,
                "family": c.family,
                "cause": c.cause,
                "pattern_id": c.pattern_id,
                "failures": c.failures,
                "note": c.note,
                "pids": list(c.pids),
                "decisive": _ev(c.decisive) if c.decisive else None,
                "evidence": [_ev(e) for e in c.evidence],
            }
            for c in conns
        )
        return self._load_ndjson("connections", _CONN_COLUMNS, rows)

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
        """Run ``sql/<name>.sql`` and return all rows."""
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

    def sources(self) -> list[SourceInfo]:
        """Every source, in the order read."""
        return [SourceInfo(*row) for row in self.query("sources")]

    def unmatched(self) -> tuple[int, list[UnmatchedShape]]:
        """The total of unmatched lines and the most frequent shapes."""
        total = self.con.execute("SELECT coalesce(sum(count), 0) FROM unmatched").fetchone()
        shapes = [UnmatchedShape(*row) for row in self.query("unmatched")]
        return int(total[0]) if total else 0, shapes

    def connections(self) -> Iterator[Connection]:
        """Every connection as a model object, in a stable order."""
        cur = self.con.execute(sql("connections"))
        while rows := cur.fetchmany(5000):
            for r in rows:
                (
                    cid,
                    host,
                    direction,
                    ip,
                    port,
                    user,
                    auth,
                    method,
                    start,
                    end,
                    family,
                    cause,
                    pattern_id,
                    failures,
                    note,
                    pids,
                    decisive,
                    evidence,
                ) = r
                yield Connection(
                    id=cid,
                    host=host,
                    client_ip=ip,
                    client_port=port,
                    user=user,
                    authenticated=bool(auth),
                    method=method,
                    start=_aware(start),
                    end=_aware(end),
                    family=family,
                    cause=cause,
                    pattern_id=PatternId(pattern_id) if pattern_id else None,
                    evidence=tuple(
                        Evidence(e["source"], e["line"], e["text"]) for e in evidence or ()
                    ),
                    pids=tuple(pids or ()),
                    failures=failures or 0,
                    note=note,
                    direction=direction,
                    decisive=Evidence(decisive["source"], decisive["line"], decisive["text"])
                    if decisive
                    else None,
                )
