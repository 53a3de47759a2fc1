"""The report as flat tables (header + rows of plain values), shared by CSV and Markdown.

Values stay typed (str, int, float, bool, None); each format decides how to write and
escape them.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from logsleuth.families import FAMILIES, OPEN
from logsleuth.model import CauseCount, Evidence, Report
from logsleuth.renderers import view
from logsleuth.renderers.json_out import iso

Cell = str | int | float | bool | None
Table = tuple[tuple[str, ...], list[tuple[Cell, ...]]]


class TableName(StrEnum):
    """The tables ``--format csv --table`` offers."""

    connections = "connections"
    causes = "causes"
    hosts = "hosts"
    advice = "advice"


def _ev(e: Evidence | None) -> tuple[Cell, Cell, Cell]:
    return (e.source, e.line, e.text) if e else (None, None, None)


def _tops(pairs: tuple[tuple[str, int], ...]) -> str:
    return "; ".join(f"{v} ({n})" for v, n in pairs)


def connections(report: Report) -> Table:
    """One row per connection, with its decisive (else first) evidence line."""
    header = (
        "id",
        "host",
        "direction",
        "client_ip",
        "client_port",
        "remote_host",
        "user",
        "authenticated",
        "method",
        "start",
        "end",
        "duration_s",
        "family",
        "cause",
        "pattern_id",
        "failures",
        "note",
        "evidence_source",
        "evidence_line",
        "evidence_text",
    )
    rows: list[tuple[Cell, ...]] = []
    for c in report.connections:
        ev = c.decisive or (c.evidence[0] if c.evidence else None)
        rows.append(
            (
                c.id,
                c.host,
                c.direction,
                c.client_ip,
                c.client_port,
                c.remote_host,
                c.user,
                c.authenticated,
                c.method,
                iso(c.start),
                iso(c.end),
                c.duration_s,
                c.family,
                c.cause,
                c.pattern_id,
                c.failures,
                c.note,
                *_ev(ev),
            )
        )
    return header, rows


def _cause_rows(
    host: str, direction: str, causes: tuple[CauseCount, ...]
) -> list[tuple[Cell, ...]]:
    return [
        (
            host,
            direction,
            c.family,
            c.cause,
            c.count,
            c.pattern_id,
            _tops(c.top_ips),
            _tops(c.top_users),
            *_ev(c.evidence),
        )
        for c in causes
    ]


def causes(report: Report) -> Table:
    """One row per host, direction and cause, with top clients, users and one evidence line."""
    header = (
        "host",
        "direction",
        "family",
        "cause",
        "connections",
        "pattern_id",
        "top_client_ips",
        "top_users",
        "evidence_source",
        "evidence_line",
        "evidence_text",
    )
    rows: list[tuple[Cell, ...]] = []
    for h in report.hosts:
        rows.extend(_cause_rows(h.host, "inbound", h.causes))
        rows.extend(_cause_rows(h.host, "outbound", view.outbound(h)[0]))
    return header, rows


HOST_FAMILIES = (*FAMILIES, OPEN)


def hosts(report: Report) -> Table:
    """One row per host: totals, the abnormal share and one column per family."""
    header = (
        "host",
        "connections",
        "authenticated",
        "abnormal",
        "abnormal_share",
        "outbound",
        *HOST_FAMILIES,
    )
    rows: list[tuple[Cell, ...]] = []
    for h in report.hosts:
        abnormal, share = view.abnormal(h)
        rows.append(
            (
                h.host,
                h.connections,
                h.authenticated,
                abnormal,
                share,
                view.outbound(h)[1],
                *(h.families.get(f, 0) for f in HOST_FAMILIES),
            )
        )
    return header, rows


def summary(report: Report) -> Table:
    """One row per host for people: totals, the abnormal share in percent, families by count."""
    header = ("host", "connections", "authenticated", "abnormal", "outbound", "how they ended")
    rows: list[tuple[Cell, ...]] = []
    for h in report.hosts:
        abnormal, share = view.abnormal(h)
        ranked = sorted(h.families.items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append(
            (
                h.host,
                h.connections,
                h.authenticated,
                f"{abnormal} ({100 * share:.0f}%)" if share is not None else "-",
                view.outbound(h)[1],
                ", ".join(f"{f} {n}" for f, n in ranked if n),
            )
        )
    return header, rows


def advice(report: Report) -> Table:
    """One row per piece of advice: what, why, the snippet and its first evidence line."""
    header = (
        "rank",
        "id",
        "host",
        "title",
        "text",
        "because",
        "snippet",
        "evidence_source",
        "evidence_line",
        "evidence_text",
    )
    rows: list[tuple[Cell, ...]] = [
        (
            i,
            a.id,
            a.host,
            a.title,
            a.text,
            "\n".join(a.because),
            a.snippet,
            *_ev(a.evidence[0] if a.evidence else None),
        )
        for i, a in enumerate(view.advice(report), 1)
    ]
    return header, rows


TABLES: dict[str, Callable[[Report], Table]] = {
    TableName.connections: connections,
    TableName.causes: causes,
    TableName.hosts: hosts,
    TableName.advice: advice,
}
