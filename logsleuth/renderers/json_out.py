"""JSON (``logsleuth.report/1``) and NDJSON renderings of a report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from logsleuth.model import (
    Advice,
    CauseCount,
    Connection,
    Coverage,
    Evidence,
    Finding,
    HostReport,
    Report,
)
from logsleuth.renderers.safe import dumps, json_escape

SCHEMA = "logsleuth.report/1"


#: UTC times met lately and their text: a report's connections begin and end on the
#: same seconds over and over, and a lookup costs a tenth of ``isoformat``. Forgotten
#: when full.
_ISO: dict[datetime, str] = {}
MEMO_TIMES = 4096


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, microseconds only when non-zero."""
    if ts is None:
        return None
    if ts.tzinfo is not UTC:
        return ts.isoformat().replace("+00:00", "Z")
    # Only UTC times are keys (a time in another zone equals its UTC twin, but is
    # written with its own offset), so equal keys write the same text.
    text = _ISO.get(ts)
    if text is None:
        if len(_ISO) >= MEMO_TIMES:
            _ISO.clear()
        text = _ISO[ts] = ts.isoformat().replace("+00:00", "Z")
    return text


def evidence_dict(e: Evidence) -> dict[str, Any]:
    """One evidence line as the contract spells it."""
    return {"source": e.source, "line": e.line, "text": e.text}


def connection_dict(c: Connection) -> dict[str, Any]:
    """A connection as the contract spells it."""
    return {
        "id": c.id,
        "host": c.host,
        "direction": c.direction,
        "client_ip": c.client_ip,
        "client_port": c.client_port,
        "remote_host": c.remote_host,
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


_text = encode_basestring  # json.dumps's own C escaper for strings (ensure_ascii=False)


def _str(v: str | None) -> str:
    return "null" if v is None else _text(v)


def _num(v: float | None) -> str:
    return "null" if v is None else repr(v)


def _evidence_json(e: Evidence) -> str:
    return f'{{"source": {_text(e.source)}, "line": {e.line!r}, "text": {_text(e.text)}}}'


def connection_json(c: Connection) -> str:
    """``dumps(connection_dict(c))`` written directly (the report's bulk: one per
    connection); ``tests/render/test_json_direct.py`` holds them byte-equal."""
    evidence = ", ".join([_evidence_json(e) for e in c.evidence])
    auth = "true" if c.authenticated else "false"
    return json_escape(
        f'{{"id": {c.id!r}, "host": {_text(c.host)}, "direction": {_text(c.direction)}, '
        f'"client_ip": {_str(c.client_ip)}, "client_port": {_num(c.client_port)}, '
        f'"remote_host": {_str(c.remote_host)}, "user": {_str(c.user)}, '
        f'"authenticated": {auth}, "method": {_str(c.method)}, '
        f'"start": {_str(iso(c.start))}, "end": {_str(iso(c.end))}, '
        f'"duration_s": {_num(c.duration_s)}, "family": {_text(c.family)}, '
        f'"cause": {_text(c.cause)}, "pattern_id": {_str(c.pattern_id)}, '
        f'"failures": {c.failures!r}, "note": {_str(c.note)}, "evidence": [{evidence}]}}'
    )


def _cause(c: CauseCount) -> dict[str, Any]:
    return {
        "family": c.family,
        "cause": c.cause,
        "count": c.count,
        "pattern_id": c.pattern_id,
        "evidence": evidence_dict(c.evidence) if c.evidence else None,
        "top_client_ips": [{"ip": ip, "count": n} for ip, n in c.top_ips],
        "top_users": [{"user": u, "count": n} for u, n in c.top_users],
    }


def _host(h: HostReport) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "host": h.host,
        "connections": h.connections,
        "authenticated": h.authenticated,
        "abnormal": h.abnormal,
        "abnormal_share": h.abnormal_share,
        "families": dict(h.families),
        "causes": [_cause(c) for c in h.causes],
        "durations": {
            d.family: {
                "count": d.count,
                "median_s": d.median_s,
                "p90_s": d.p90_s,
                "max_s": d.max_s,
            }
            for d in h.durations
        },
        "timeline": {
            t.family: [{"hour": iso_hour(p.hour), "count": p.count} for p in t.hours]
            for t in h.timeline
        },
    }
    if h.outbound_count:
        doc["outbound_count"] = h.outbound_count
        doc["outbound"] = [_cause(c) for c in h.outbound]
    return doc


def iso_hour(ts: datetime) -> str:
    """An hour as ``2026-11-21T06:00Z``."""
    return ts.strftime("%Y-%m-%dT%H:00Z")


def _number(value: object) -> object:
    """A finding's number as JSON: times in ISO 8601, everything else as is."""
    return iso(value) if isinstance(value, datetime) else value


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as the contract spells it."""
    return {
        "rule": f.rule,
        "host": f.host,
        "hosts": list(f.hosts or (f.host,)),
        "summary": f.summary,
        "numbers": {k: _number(v) for k, v in f.numbers.items()},
        "evidence": [evidence_dict(e) for e in f.evidence],
        "connection_ids": list(f.connection_ids),
    }


def advice_dict(a: Advice) -> dict[str, Any]:
    """One piece of advice as the contract spells it."""
    return {
        "id": a.id,
        "host": a.host,
        "hosts": list(a.hosts or (a.host,)),
        "harm": a.harm,
        "title": a.title,
        "text": a.text,
        "snippet": a.snippet,
        "changes": list(a.changes),
        "settings": [{"host": h, "option": o, "value": v} for h, o, v in a.settings],
        "command": a.command,
        "systemd": a.systemd,
        "because": list(a.because),
        "evidence": [evidence_dict(e) for e in a.evidence],
        "connection_ids": list(a.connection_ids),
    }


def _coverage(c: Coverage | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "runs": c.runs,
        "first_run": iso(c.first_run),
        "last_run": iso(c.last_run),
        "first_line": iso(c.first_line),
        "last_line": iso(c.last_line),
        "silent_sources": list(c.silent_sources),
    }


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
        "hosts": [_host(h) for h in report.hosts],
        "unmatched": {
            "count": report.unmatched_count,
            "shapes": [
                {"shape": u.shape, "count": u.count, "example": u.example} for u in report.unmatched
            ],
        },
        "advice": [advice_dict(a) for a in report.advice],
        "findings": [finding_dict(f) for f in report.findings],
        "config": [
            {
                "host": b.host,
                "versions": b.versions,
                "sshd_config": b.sshd_config,
                "client_config": b.client_config,
                "systemd": b.systemd,
            }
            for b in report.config
        ],
        "host_facts": [
            {
                "host": f.host,
                "versions": f.versions,
                "version_min": f.version_min,
                "version_max": f.version_max,
                "version_evidence": list(f.version_evidence),
                "systemd": f.systemd,
            }
            for f in report.host_facts
        ],
        "sshd_config": [
            {
                "host": c.host,
                "source": c.source,
                "client_alive_interval": c.client_alive_interval,
                "client_alive_count_max": c.client_alive_count_max,
                "login_grace_time": c.login_grace_time,
                "max_startups": c.max_startups,
            }
            for c in report.sshd_config
        ],
        "coverage": _coverage(report.coverage),
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
        yield ("\n" if i == 0 else ",\n") + connection_json(c)
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
