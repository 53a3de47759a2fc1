"""Join client attempts with the server's view of the same connections.

A client transcript never shows the client's own port, so the join scores each server
connection on what both sides do show: the key fingerprint (``Offering public key ...
SHA256:x`` / ``Accepted publickey ... SHA256:x``), the user, the time (timestamps of a
``ts``-prefixed paste, in any time zone: the offset must be a multiple of 15 minutes), the
outcome (authenticated or not, the family), and the order of attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from logsleuth.errors import SourceError
from logsleuth.model import Connection
from logsleuth.triage.diagnose import Finding
from logsleuth.triage.knowledge import knowledge

_NOT_DECISIVE = frozenset({"unknown", "open", "session"})
_MIN_SCORE = 2


@dataclass(frozen=True)
class Match:
    """A server connection matched to an attempt, and why."""

    connection: Connection
    reasons: tuple[str, ...]


def load_connections(paths: Sequence[str]) -> list[Connection]:
    """The connections in the server's log files (read with :func:`logsleuth.api.scan`)."""
    from logsleuth import api  # imported here: it pulls in DuckDB

    report = api.scan(list(paths))
    # A server log that cannot be read is an error, as in `scan`: never "no match".
    for src in report.sources:
        if src.error:
            raise SourceError(src.path, src.error, src.hint)
    return sorted(
        report.connections, key=lambda c: (c.start or datetime.min.replace(tzinfo=UTC), c.id)
    )


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _time_score(fd: Finding, c: Connection) -> tuple[int, str | None]:
    cs = fd.facts.start
    if cs is None or c.start is None:
        return 0, None
    if cs.tzinfo is not None:
        delta = abs((c.start - cs).total_seconds()) if c.start.tzinfo else None
        if delta is not None:
            return (3, "time") if delta <= 5 else (-2, None)
    server = _naive_utc(c.start)
    client = cs.replace(year=server.year) if cs.year == 2000 else cs
    r = (server - client).total_seconds() % 900
    return (3, "time") if min(r, 900 - r) <= 5 else (-2, None)


def score(fd: Finding, c: Connection) -> tuple[int, list[str]]:
    """How well a server connection fits an attempt, with the reasons."""
    s, why = 0, []
    f = fd.facts
    texts = " ".join(e.text for e in c.evidence)
    if f.fingerprints and any(fp in texts for fp in f.fingerprints):
        s += 4
        why.append("key fingerprint")
    if f.user and c.user:
        if f.user == c.user:
            s += 2
            why.append("user")
        else:
            s -= 3
    if f.authenticated == c.authenticated:
        s += 1
    else:
        s -= 2
    if fd.family == c.family:
        s += 1
        why.append("outcome")
    t, reason = _time_score(fd, c)
    s += t
    if reason:
        why.append(reason)
    return s, why


def match_connections(
    findings: Sequence[Finding], conns: Sequence[Connection]
) -> list[Match | None]:
    """For each attempt (in order), the best server connection not used by an earlier one."""
    used: set[int] = set()
    last: datetime | None = None
    out: list[Match | None] = []
    for fd in findings:
        best: tuple[int, int, list[str]] | None = None
        for i, c in enumerate(conns):
            if i in used:
                continue
            s, why = score(fd, c)
            if last is not None and c.start is not None and c.start < last:
                s -= 3  # attempts happen in order
            if best is None or s > best[0]:
                best = (s, i, why)
        if best is None or best[0] < _MIN_SCORE:
            out.append(None)
            continue
        used.add(best[1])
        conn = conns[best[1]]
        last = conn.start or last
        reasons = tuple(best[2]) + (("order",) if len(conns) > 1 else ())
        out.append(Match(conn, reasons))
    return out


def describe(m: Match, summary: str | None = None) -> str:
    """What the server saw, in a few lines."""
    c = m.connection
    who = f", user {c.user}" if c.user else ""
    auth = ", authenticated" if c.authenticated else ", not authenticated"
    dur = f", {c.duration_s:g} s" if c.duration_s is not None else ""
    head = (
        f"server log: connection from {c.client_ip} port {c.client_port}{who}{auth}{dur}; "
        f"ended {c.family} ({c.cause})"
    )
    if summary:
        head += f": {summary}"
    lines = [head, f"matched on: {', '.join(m.reasons) or 'order'}"]
    lines += [f"  {e.source}:{e.line}: {e.text}" for e in c.evidence[-4:]]
    return "\n".join(lines)


def adopt(fd: Finding, m: Match) -> bool:
    """Take the server's family and cause when the client's is ambiguous; True if taken."""
    c = m.connection
    rules = knowledge().server_log
    if fd.cause not in rules.ambiguous or c.family in _NOT_DECISIVE or c.cause == fd.cause:
        return False
    if c.family == fd.family and fd.cause not in rules.vague:
        return False
    fd.family, fd.cause = c.family, c.cause
    return True
