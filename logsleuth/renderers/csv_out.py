"""CSV (RFC 4180) renderings of one report table: one header row, CRLF line ends.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
a tab or carriage return) as a formula, and log text is written by whoever connects:
such text cells get a leading apostrophe. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from logsleuth.model import Report
from logsleuth.renderers.safe import visible
from logsleuth.renderers.tables import TABLES, Cell, TableName

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Cell) -> str:
    """One value as CSV cell text: booleans as true/false, None empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    # Control characters (ESC sequences) are shown, never passed to whoever cats the file.
    text = visible(value)
    return "'" + text if text.startswith(_FORMULA) else text


def render(report: Report, table: str = TableName.connections) -> str:
    """The chosen table of the report as CSV text."""
    try:
        build = TABLES[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(TABLES)}") from None
    return write(*build(report))


def write(header: tuple[str, ...], rows: Sequence[tuple[Cell, ...]]) -> str:
    """A header row and rows as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()
