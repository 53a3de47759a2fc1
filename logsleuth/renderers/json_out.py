"""JSON (``logsleuth.report/1``) and NDJSON renderings of a report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from logsleuth.model import Connection, Evidence, Report
from logsleuth.renderers.safe import dumps

SCHEMA = "logsleuth.report/1"


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, microseconds only when non-zero."""
    if ts is None:
        return None
    return ts.isoformat().replace("+00:00", "Z")


def evidence_dict(e: Evidence) -> dict[str, Any]:
    """One evidence line as the contract spells it."""
    return {"source": e.source, "line": e.line, "text": e.text}


def connection_dict(c: Connection) -> dict[str, Any]:
    """A connection as the contract spells it."""
    return {
        "host": c.host,
        "direction": c.direction,
        "client_ip": c.client_ip,
        "client_port": c.client_port,
        "user": c.user,
        "authenticated": c.authenticated,
        "method": c.method,
        "start": iso(c.start),
        "end": iso(c.end),
        "duration_s": c.duration_s,
        "family": c.family,
        "cause": c.cause,
        "pattern_id": c.pattern_id,
        "failures": c.failures,
        "note": c.note,
        "evidence": [evidence_dict(e) for e in c.evidence],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Evidence):
        return evidence_dict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def report_dict(report: Report, with_connections: bool = True) -> dict[str, Any]:
    """The whole report as plain JSON-able data (``connections`` last)."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "sources": [
            {
                "path": s.path,
                "reader": s.reader,
                "lines": s.lines,
                "ssh_lines": s.ssh_lines,
                "matched": s.matched,
                "unmatched": s.unmatched,
                "error": s.error,
                "hint": s.hint,
                "note": s.note,
            }
            for s in report.sources
        ],
        "hosts": [
            {
                "host": h.host,
                "connections": h.connections,
                "authenticated": h.authenticated,
                "families": dict(h.families),
                "causes": [
                    {
                        "family": c.family,
                        "cause": c.cause,
                        "count": c.count,
                        "pattern_id": c.pattern_id,
                        "evidence": evidence_dict(c.evidence) if c.evidence else None,
                        "top_client_ips": [{"ip": ip, "count": n} for ip, n in c.top_ips],
                        "top_users": [{"user": u, "count": n} for u, n in c.top_users],
                    }
                    for c in h.causes
                ],
                **{k: _plain(v) for k, v in h.extra.items()},
            }
            for h in report.hosts
        ],
        "unmatched": {
            "count": report.unmatched_count,
            "shapes": [
                {"shape": u.shape, "count": u.count, "example": u.example} for u in report.unmatched
            ],
        },
        **{k: _plain(v) for k, v in report.extra.items()},
    }
    if with_connections:
        doc["connections"] = [connection_dict(c) for c in report.connections]
    return doc


def iter_render(report: Report) -> Iterator[str]:
    """The report as one JSON object, in chunks: one top-level key, or one connection, per line.

    Each piece goes through the C encoder (``indent`` would force the pure-Python one,
    three times slower), and a caller can write the chunks as they come.
    """
    doc = report_dict(report, with_connections=False)
    yield "{\n"
    for key, value in doc.items():
        yield f"{json.dumps(key)}: {dumps(value)},\n"
    yield '"connections": ['
    for i, c in enumerate(report.connections):
        yield ("\n" if i == 0 else ",\n") + dumps(connection_dict(c))
    yield "\n]\n}\n"


def render(report: Report) -> str:
    """The report as one JSON object."""
    return "".join(iter_render(report))


def _ecs(c: Connection) -> dict[str, Any]:
    return {
        "@timestamp": iso(c.end or c.start),
        "host.hostname": c.host,
        "source.ip": c.client_ip,
        "source.port": c.client_port,
        "user.name": c.user,
        "event.action": "ssh-connection",
        "event.category": "session",
        "event.outcome": "success" if c.authenticated else "failure",
        "event.reason": c.cause,
        "event.start": iso(c.start),
        "event.end": iso(c.end),
        "event.duration": int(c.duration_s * 1e9) if c.duration_s is not None else None,
        "logsleuth.family": c.family,
        "logsleuth.pattern_id": c.pattern_id,
        "network.direction": c.direction,
    }


def render_ndjson(report: Report) -> str:
    """One connection per line, with ECS-style field names."""
    lines = [dumps(_ecs(c)) for c in report.connections]
    return "\n".join(lines) + ("\n" if lines else "")
