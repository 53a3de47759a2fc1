"""The stored form of a connection and of an event: one column list each that makes the
table and the load (and for connections the unload); no duckdb here, :mod:`logsleuth.store`
runs them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from itertools import accumulate
from json.encoder import encode_basestring
from operator import attrgetter
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


def _unev(raw: dict[str, Any] | None) -> Evidence | None:
    return Evidence(raw["source"], raw["line"], raw["text"]) if raw else None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the ``connections`` table: the Connection attribute of the same
    name, stored as ``sql`` (which also decides its JSON form in the bulk load)."""

    name: str
    sql: str
    load: Callable[..., Any] | None = None
    """Stored value(s) -> the Connection field of the same name; None: derived, not
    loaded; :func:`_same`: the stored value is the field's. A list of evidence is read
    as three lists (sources, lines, texts), which DuckDB hands over several times
    faster than a list of structs."""

    def selected(self) -> tuple[str, ...]:
        """The expressions that read this column back (what ``load`` takes)."""
        if self.sql == f"{_EVIDENCE}[]":
            return tuple(
                f'list_transform("{self.name}", lambda e: e.{part})'
                for part in ("source", "line", "text")
            )
        return (f'"{self.name}"',)


def _same(v: Any) -> Any:
    return v


def _pattern_id(v: str | None) -> PatternId | None:
    return PatternId(v) if v else None


def _count(v: int | None) -> int:
    return v or 0


def _tuple(v: list[Any] | None) -> tuple[Any, ...]:
    return tuple(v or ())


def _evidence_list(
    sources: list[str] | None, lines: list[int] | None, texts: list[str] | None
) -> tuple[Evidence, ...]:
    return tuple(map(Evidence, sources or (), lines or (), texts or ()))


#: The one definition of a stored connection: the table, the load and the unload.
CONNECTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "BIGINT", _same),
    Column("host", "VARCHAR", _same),
    Column("direction", "VARCHAR", _same),
    Column("client_ip", "VARCHAR", _same),
    Column("client_port", "INTEGER", _same),
    Column("remote_host", "VARCHAR", _same),
    Column("user", "VARCHAR", _same),
    Column("authenticated", "BOOLEAN", bool),
    Column("method", "VARCHAR", _same),
    Column("start", "TIMESTAMP", aware),
    Column("end", "TIMESTAMP", aware),
    Column("duration_s", "DOUBLE"),
    Column("family", "VARCHAR", _same),
    Column("cause", "VARCHAR", _same),
    Column("pattern_id", "VARCHAR", _pattern_id),
    Column("failures", "BIGINT", _count),
    Column("note", "VARCHAR", _same),
    Column("pids", "BIGINT[]", _tuple),
    Column("decisive", _EVIDENCE, _unev),
    Column("evidence", f"{_EVIDENCE}[]", _evidence_list),
)
CONNECTION_TYPES = {c.name: c.sql for c in CONNECTION_COLUMNS}
LOADED = tuple(c for c in CONNECTION_COLUMNS if c.load is not None)
_SELECTED = tuple(c.selected() for c in LOADED)
SELECT_COLUMNS = ", ".join(e for exprs in _SELECTED for e in exprs)
#: The stable order of connections in every report: host, direction, start (unknown first).
CONNECTION_ORDER = "host, direction, start NULLS FIRST, id"


def connections_ddl(table: str = "connections", temporary: bool = False) -> str:
    """``CREATE TABLE`` for stored connections, generated from :data:`CONNECTION_COLUMNS`."""
    cols = ",\n    ".join(f'"{c.name}" {c.sql}' for c in CONNECTION_COLUMNS)
    temp = "TEMPORARY " if temporary else ""
    return f"CREATE {temp}TABLE IF NOT EXISTS {table} (\n    {cols}\n);\n"


# -- the bulk load: one JSON line per connection, written straight from its attributes --

_string = encode_basestring  # json's C string escaper (non-ASCII kept, as ensure_ascii=False)


def _j_str(v: str | None) -> str:
    return "null" if v is None else _string(v)


def _j_int(v: int | None) -> str:
    return "null" if v is None else str(int(v))


def _j_bool(v: bool) -> str:
    return "true" if v else "false"


def _j_float(v: float | None) -> str:
    return "null" if v is None else repr(float(v))


def _j_time(v: datetime | None) -> str:
    return "null" if v is None else f'"{naive(v)}"'


def _j_ints(v: Sequence[int]) -> str:
    return "[" + ",".join([str(int(x)) for x in v]) + "]"


def _j_evidence(e: Evidence | None) -> str:
    if e is None:
        return "null"
    return f'{{"source":{_string(e.source)},"line":{int(e.line)},"text":{_string(e.text)}}}'


def _j_evidence_list(v: Sequence[Evidence]) -> str:
    return "[" + ",".join([_j_evidence(e) for e in v]) + "]"


#: How each stored type is written in a bulk-load line.
_JSON_OF_SQL: dict[str, Callable[[Any], str]] = {
    "VARCHAR": _j_str,
    "BIGINT": _j_int,
    "INTEGER": _j_int,
    "BOOLEAN": _j_bool,
    "DOUBLE": _j_float,
    "TIMESTAMP": _j_time,
    "BIGINT[]": _j_ints,
    _EVIDENCE: _j_evidence,
    f"{_EVIDENCE}[]": _j_evidence_list,
}
_LINE_PARTS = tuple(
    (_string(c.name) + ":", attrgetter(c.name), _JSON_OF_SQL[c.sql]) for c in CONNECTION_COLUMNS
)


def connection_line(c: Connection) -> str:
    """A connection as one line of newline-delimited JSON for the bulk load (an object
    keyed by column; times as DuckDB's TIMESTAMP text in UTC)."""
    return "{" + ",".join([key + put(get(c)) for key, get, put in _LINE_PARTS]) + "}"


# -- the unload: a row of SELECT_COLUMNS back into a Connection ---------------------------

_FIELDS = tuple(f.name for f in dataclass_fields(Connection))
_LOADED_NAMES = tuple(c.name for c in LOADED)
assert set(_FIELDS) == set(_LOADED_NAMES), "every Connection field is a loaded column"
#: Where each loaded column starts in a row of SELECT_COLUMNS.
_START = tuple(accumulate((len(e) for e in _SELECTED), initial=0))[:-1]
#: For each Connection field in order, the position of its value in a row.
_POSITION = tuple(_START[_LOADED_NAMES.index(name)] for name in _FIELDS)
#: The columns whose stored value needs converting, as (position, width, conversion).
_CONVERT: tuple[tuple[int, int, Callable[..., Any]], ...] = tuple(
    (start, len(exprs), c.load)
    for start, exprs, c in zip(_START, _SELECTED, LOADED, strict=True)
    if c.load is not None and c.load is not _same
)


def unload_connection(row: Sequence[Any]) -> Connection:
    """A row of ``SELECT <SELECT_COLUMNS>`` back into a Connection."""
    values = list(row)
    for i, width, load in _CONVERT:
        values[i] = load(values[i]) if width == 1 else load(*values[i : i + width])
    return Connection(*[values[i] for i in _POSITION])


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
