"""Rows of an ad-hoc query (``logsleuth sql``) as a text table, CSV, JSON or Markdown.

Values are what the store returns: times (UTC), numbers, text, lists and structs. Text
is written as in the log, with control characters made visible (``\\xNN``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from logsleuth.renderers import csv_out, markdown, safe
from logsleuth.renderers.safe import visible
from logsleuth.renderers.tables import Cell


class RowsFormat(StrEnum):
    """Output formats of ``logsleuth sql``."""

    text = "text"
    csv = "csv"
    json = "json"
    markdown = "markdown"


def plain(value: Any) -> Any:
    """A store value as JSON-able data: times as ISO 8601 (UTC, Z), decimals as numbers."""
    if isinstance(value, dt.datetime):
        ts = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> Cell:
    """A store value as one flat cell (nested values as compact JSON)."""
    v = plain(value)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _text(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def show(v: Any) -> str:
        c = cell(v)
        text = "NULL" if c is None else str(c).lower() if isinstance(c, bool) else str(c)
        text = text.replace("\r", " ").replace("\n", " ")
        return visible(text)

    table = [[show(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in table)]) for i, n in enumerate(names)]
    numeric = [
        all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows) and rows
        for i in range(len(names))
    ]

    def line(values: Sequence[str]) -> str:
        cells = (
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        )
        return "  ".join(cells).rstrip()

    out = [line(list(names)), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in table)
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(names: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "text") -> str:
    """Query results in one of :class:`RowsFormat`."""
    if fmt == RowsFormat.text:
        return _text(names, rows)
    if fmt == RowsFormat.csv:
        return csv_out.write(tuple(names), [tuple(cell(v) for v in r) for r in rows])
    if fmt == RowsFormat.json:
        docs = [dict(zip(names, (plain(v) for v in r), strict=True)) for r in rows]
        return safe.dumps(docs, indent=1) + "\n"
    if fmt == RowsFormat.markdown:
        flat = [tuple(cell(v) for v in r) for r in rows]
        right = {i for i in range(len(names)) if flat and all(_num(r[i]) for r in flat)}
        return markdown.table(tuple(names), flat, right)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(RowsFormat)}")


def _num(v: Cell) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
