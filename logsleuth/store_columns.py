"""The stored form of a connection and of an event: one column list each that makes the
table and the load (and for connections the unload); no duckdb here, :mod:`logsleuth.store`
runs them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from itertools import accumulate, islice, repeat
from json.encoder import encode_basestring
from typing import IO, Any, cast

from logsleuth.model import Connection, Event, Evidence, PatternId
from logsleuth.sessionize import NO_HOST

#: Times met lately and their converted forms: connections begin and end on the same
#: seconds over and over (about nine in ten times of a busy log repeat one of the last
#: few thousand), and a lookup costs a tenth of a conversion. Forgotten when full.
_NAIVE_TEXT: dict[datetime, str] = {}
_AWARE: dict[datetime, datetime] = {}
MEMO_TIMES = 4096


def naive(ts: datetime | None) -> str | None:
    """A time as DuckDB's TIMESTAMP text (UTC, no zone)."""
    if not ts:
        return None
    if ts.tzinfo is not UTC:
        return ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    # The pipeline's times (UTC): remembered, and the "+00:00" cut off, not converted.
    # Only UTC times are keys, so equal keys write the same text.
    text = _NAIVE_TEXT.get(ts)
    if text is None:
        if len(_NAIVE_TEXT) >= MEMO_TIMES:
            _NAIVE_TEXT.clear()
        text = _NAIVE_TEXT[ts] = ts.isoformat(" ")[:-6]
    return text


def aware(ts: datetime | None) -> datetime | None:
    """A stored TIMESTAMP back as an aware UTC time."""
    if ts is None:
        return None
    if ts.tzinfo is not None:
        return ts.replace(tzinfo=UTC)
    # A naive time as the key: equal keys give equal (immutable) aware times.
    got = _AWARE.get(ts)
    if got is None:
        if len(_AWARE) >= MEMO_TIMES:
            _AWARE.clear()
        got = _AWARE[ts] = ts.replace(tzinfo=UTC)
    return got


_EVIDENCE = "STRUCT(source VARCHAR, line BIGINT, text VARCHAR)"


def _unev(source: str | None, line: int | None, text: str | None) -> Evidence | None:
    if source is None and line is None and text is None:
        return None
    return Evidence(source, line, text)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the ``connections`` table: the Connection attribute of the same
    name, stored as ``sql`` (which also decides its JSON form in the bulk load)."""

    name: str
    sql: str
    load: Callable[..., Any] | None = None
    """Stored value(s) -> the Connection field of the same name; None: derived, not
    loaded; :func:`_same`: the stored value is the field's. Evidence is read as its
    three parts (a list of evidence as lists: sources, only when they differ, and
    the first source, lines, texts), which DuckDB hands over several times faster
    than structs."""

    def selected(self) -> tuple[str, ...]:
        """The expressions that read this column back (what ``load`` takes)."""
        parts = ("source", "line", "text")
        if self.sql == f"{_EVIDENCE}[]":
            sources = f'list_transform("{self.name}", lambda e: e.source)'
            return (
                # The lines of a connection come from one source but for a rare merge:
                # its sources only when they differ, else the one source once.
                f"CASE WHEN list_unique({sources}) > 1 THEN {sources} END",
                f'"{self.name}"[1].source',
                *(f'list_transform("{self.name}", lambda e: e.{part})' for part in parts[1:]),
            )
        if self.sql == _EVIDENCE:
            return tuple(f'"{self.name}".{part}' for part in parts)
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
    sources: list[str] | None,
    source: str | None,
    lines: list[int] | None,
    texts: list[str] | None,
) -> tuple[Evidence, ...]:
    # ``source`` is None only where there are no lines (a NULL or empty list).
    return tuple(map(Evidence, sources or repeat(cast(str, source)), lines or (), texts or ()))


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
    return (
        "["
        + ",".join(
            [
                f'{{"source":{_string(e.source)},"line":{int(e.line)},"text":{_string(e.text)}}}'
                for e in v
            ]
        )
        + "]"
    )


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


def _line_writer(columns: Sequence[Column]) -> Callable[[Connection], str]:
    """The function behind :func:`connection_line`, written as one f-string over the
    columns (each value through its type's encoder) and compiled once: a third cheaper
    than a loop over the columns."""
    env: dict[str, Any] = {}
    parts = []
    for i, c in enumerate(columns):
        if not c.name.isidentifier():
            raise ValueError(f"column {c.name!r} is no attribute name")
        env[f"_put{i}"] = _JSON_OF_SQL[c.sql]
        key = _string(c.name).replace("{", "{{").replace("}", "}}")
        parts.append(f"{key}:{{_put{i}(c.{c.name})}}")
    source = "def connection_line(c):\n    return f'{{" + ",".join(parts) + "}}'\n"
    exec(source, env)  # noqa: S102
    writer: Callable[[Connection], str] = env["connection_line"]
    return writer


_write_line = _line_writer(CONNECTION_COLUMNS)


def write_lines(fh: IO[str], lines: Iterable[str]) -> int:
    """Write load lines (one JSON object each) to a newline-delimited JSON file; how many.

    Some lines at a time in one write: a write per line cost more."""
    n = 0
    rows = iter(lines)
    while part := list(islice(rows, 1024)):
        fh.write("\n".join(part) + "\n")
        n += len(part)
    return n


def connection_line(c: Connection) -> str:
    """A connection as one line of newline-delimited JSON for the bulk load (an object
    keyed by column; times as DuckDB's TIMESTAMP text in UTC)."""
    return _write_line(c)


# -- the unload: a row of SELECT_COLUMNS back into a Connection ---------------------------

_FIELDS = tuple(f.name for f in dataclass_fields(Connection))
_LOADED_NAMES = tuple(c.name for c in LOADED)
assert set(_FIELDS) == set(_LOADED_NAMES), "every Connection field is a loaded column"
#: Where each loaded column starts in a row of SELECT_COLUMNS.
_START = tuple(accumulate((len(e) for e in _SELECTED), initial=0))[:-1]


def _row_reader() -> Callable[[Sequence[Any]], Connection]:
    """The function behind :func:`unload_connection`, written as one call of the
    Connection (each field from its place in the row, through its column's ``load``)
    and compiled once."""
    env: dict[str, Any] = {"Connection": Connection}
    args = {}
    for start, exprs, c in zip(_START, _SELECTED, LOADED, strict=True):
        values = ", ".join(f"row[{start + k}]" for k in range(len(exprs)))
        if c.load is _same:
            args[c.name] = values
        else:
            env[f"_load_{c.name}"] = c.load
            args[c.name] = f"_load_{c.name}({values})"
    call = ", ".join(args[name] for name in _FIELDS)
    exec(f"def unload_connection(row):\n    return Connection({call})\n", env)  # noqa: S102
    reader: Callable[[Sequence[Any]], Connection] = env["unload_connection"]
    return reader


_read_row = _row_reader()


def unload_connection(row: Sequence[Any]) -> Connection:
    """A row of ``SELECT <SELECT_COLUMNS>`` back into a Connection."""
    return _read_row(row)


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
