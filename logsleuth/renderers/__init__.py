"""Renderers: pure functions from a :class:`~logsleuth.model.Report` to text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum

from logsleuth.model import Report
from logsleuth.renderers import csv_out, html, json_out, markdown, text
from logsleuth.renderers.tables import TableName
from logsleuth.renderers.view import only_hosts


class OutputFormat(StrEnum):
    """The report formats, one per renderer (the CLI offers exactly these)."""

    text = "text"
    json = "json"
    ndjson = "ndjson"
    markdown = "markdown"
    csv = "csv"
    html = "html"


RENDERERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_out.render,
    "ndjson": json_out.render_ndjson,
    "markdown": markdown.render,
    "csv": csv_out.render,
    "html": html.render,
}

__all__ = ["RENDERERS", "OutputFormat", "TableName", "iter_render", "render"]


def iter_render(
    report: Report,
    fmt: str = "text",
    *,
    color: bool = False,
    width: int = 100,
    table: str = TableName.connections,
    layout: text.Layout | None = None,
) -> Iterator[str]:
    """Render in chunks (JSON streams one connection per chunk; others are one chunk)."""
    if fmt == "json":
        yield from json_out.iter_render(only_hosts(report, layout.hosts if layout else ()))
    else:
        yield render(report, fmt, color=color, width=width, table=table, layout=layout)


def render(
    report: Report,
    fmt: str = "text",
    *,
    color: bool = False,
    width: int = 100,
    table: str = TableName.connections,
    layout: text.Layout | None = None,
) -> str:
    """Render a report in a format (``text`` takes colour, width and a layout, ``csv`` a
    table); every format shows only the layout's hosts, when it names some."""
    if fmt == "text":
        return text.render(report, color=color, width=width, layout=layout)
    report = only_hosts(report, layout.hosts if layout else ())
    if fmt == "csv":
        return csv_out.render(report, table)
    try:
        return RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(RENDERERS)}") from None
