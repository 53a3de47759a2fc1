"""The stored form of a connection and of an event: one column list each that makes the
table and the load (and for connections the unload); no duckdb here, :mod:`logsleuth.store`
runs them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logsleuth.model import Connection, Event, Evidence, PatternId
from logsleuth.sessionize import NO_HOST


def naive(ts: datetime | None) -> str | None:
    """A time as DuckDB's TIMESTAMP text (UTC, no zone)."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if ts else None


def aware(ts: datetime | None) -> datetime | None:
    """A stored TIMESTAMP back as an aware UTC time."""
    return ts.replace(tzinfo=UTC) if ts is not None else None


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
    Column("remote_host", "VARCHAR", lambda c: c.remote_host, _same),
    Column("user", "VARCHAR", lambda c: c.user, _same),
    Column("authenticated", "BOOLEAN", lambda c: c.authenticated, bool),
    Column("method", "VARCHAR", lambda c: c.method, _same),
    Column("start", "TIMESTAMP", lambda c: naive(c.start), aware),
    Column("end", "TIMESTAMP", lambda c: naive(c.end), aware),
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
CONNECTION_TYPES = {c.name: c.sql for c in CONNECTION_COLUMNS}
LOADED = tuple(c for c in CONNECTION_COLUMNS if c.load is not None)
SELECT_COLUMNS = ", ".join(f'"{c.name}"' for c in LOADED)
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
        **{col.name: col.load(v) for col, v in zip(LOADED, row, strict=True) if col.load}
    )


def to_model(v: Any) -> Any:
    """A DuckDB value as a model value (aware UTC times, Evidence, tuples)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v
    if isinstance(v, list):
        return tuple(to_model(x) for x in v)
    if isinstance(v, dict) and v.keys() == {"source", "line", "text"}:
        return Evidence(v["source"], v["line"], v["text"])
    return v


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events of one run on their way to the ``events`` table, with the ids of the
    connections they joined (None: none)."""

    run: int
    events: Sequence[Event]
    connection_ids: Sequence[int | None]


@dataclass(frozen=True, slots=True)
class EventColumn:
    """One column of the ``events`` table: its type, and how the batch carries it."""

    name: str
    sql: str
    carried: str | None = None
    """The batch's type when it differs (the load converts it with ``load``)."""
    load: str | None = None
    """SQL turning the carried value (the column's name) into the stored one."""


#: The one definition of a stored event: one row per ssh line a run read, matched or
#: not. :func:`event_rows` gives rows in this order.
EVENT_COLUMNS: tuple[EventColumn, ...] = (
    EventColumn("run", "INTEGER"),
    EventColumn("connection_id", "BIGINT"),
    EventColumn("host", "VARCHAR", load=f"coalesce(host, '{NO_HOST}')"),
    EventColumn("ts", "TIMESTAMP"),
    EventColumn("stamp", "VARCHAR"),
    EventColumn("program", "VARCHAR"),
    EventColumn("pid", "BIGINT"),
    EventColumn("pattern_id", "VARCHAR"),
    EventColumn("family", "VARCHAR"),
    EventColumn("cause", "VARCHAR"),
    EventColumn("client_ip", "VARCHAR"),
    EventColumn(
        "client_port",
        "INTEGER",
        carried="VARCHAR",
        load="CASE WHEN length(client_port) <= 5 AND try_cast(client_port AS INTEGER) "
        "BETWEEN 0 AND 65535 THEN try_cast(client_port AS INTEGER) END",
    ),
    EventColumn("user", "VARCHAR"),
    EventColumn("repeat", "INTEGER"),
    EventColumn("source", "VARCHAR"),
    EventColumn("line", "BIGINT"),
    EventColumn("message", "VARCHAR"),
)


def event_rows(batch: EventBatch) -> list[tuple[Any, ...]]:
    """A batch as rows of :data:`EVENT_COLUMNS`, in order (one plain loop: this runs for
    every ssh line an ingest reads)."""
    run = batch.run
    out: list[tuple[Any, ...]] = []
    append = out.append
    for e, cid in zip(batch.events, batch.connection_ids, strict=True):
        r, f = e.record, e.fields
        append(
            (
                run,
                cid,
                r.host,
                r.ts,
                r.stamp,
                r.program,
                r.pid,
                e.pattern_id,
                e.family,
                e.cause,
                f.get("ip"),
                f.get("port"),
                f.get("user"),
                r.repeat,
                r.source,
                r.line,
                None if e.pattern_id else r.message,  # what no pattern says
            )
        )
    return out


def events_ddl(table: str = "events") -> str:
    """``CREATE TABLE`` for stored events, generated from :data:`EVENT_COLUMNS`."""
    cols = ",\n    ".join(f'"{c.name}" {c.sql}' for c in EVENT_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {cols}\n);\n"


def _loaded(c: EventColumn) -> str:
    return f'{c.load} AS "{c.name}"' if c.load else f'"{c.name}"'


#: ``INSERT INTO events SELECT <this> FROM <batch>``: the carried columns as stored.
EVENT_LOAD = ", ".join(map(_loaded, EVENT_COLUMNS))
