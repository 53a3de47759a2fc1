"""Typed rows of the ``sql/*.sql`` rollups: one frozen dataclass per query.

``Store.query_as(name, Row)`` checks that the query's column names are the dataclass's
fields, in order, and turns DuckDB values into model values: naive UTC timestamps become
aware datetimes, evidence structs become :class:`~logsleuth.model.Evidence`, lists become
tuples. Code that reads a rollup names its fields (``row.client_ip``), never ``r[2]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logsleuth.model import Evidence, SourceInfo, UnmatchedShape


@dataclass(frozen=True, slots=True)
class AuthFailureRow:
    """``auth_failures.sql``: failed authentication per host and address."""

    host: str
    client_ip: str
    connections: int
    attempts: int
    users: int
    first: datetime | None
    last: datetime | None
    evidence: Evidence | None


@dataclass(frozen=True, slots=True)
class CauseRow:
    """``by_cause.sql``: connections per host, direction, family and cause."""

    host: str
    direction: str
    family: str
    cause: str
    n: int
    pattern_id: str | None
    evidence: Evidence | None


@dataclass(frozen=True, slots=True)
class HostRow:
    """``by_host.sql``: inbound, authenticated and outbound connections per host."""

    host: str
    connections: int
    authenticated: int
    outbound: int


@dataclass(frozen=True, slots=True)
class ClientSessionsRow:
    """``client_sessions.sql``: authenticated sessions per client, and how many dropped."""

    host: str
    client_ip: str
    sessions: int
    dropped: int


@dataclass(frozen=True, slots=True)
class DropRow:
    """``drops.sql``: a session that died under its user."""

    id: int
    host: str
    client_ip: str | None
    user: str | None
    authenticated: bool
    start: datetime | None
    end: datetime
    duration_s: float | None
    family: str
    cause: str
    decisive: Evidence | None


@dataclass(frozen=True, slots=True)
class DurationRow:
    """``durations.sql``: session length per host and family."""

    host: str
    family: str
    n: int
    median_s: float
    p90_s: float
    max_s: float


@dataclass(frozen=True, slots=True)
class LimitDropRow:
    """``limit_drops.sql``: connections a server limit refused or cut, per host and cause."""

    host: str
    cause: str
    n: int
    ips: int
    first: datetime | None
    last: datetime | None
    evidence: Evidence | None
    top: tuple[str, ...]
    """The busiest addresses as ``ip (n)``, at most three."""


@dataclass(frozen=True, slots=True)
class PasswordLoginRow:
    """``password_logins.sql``: logins by password (or keyboard-interactive) per host."""

    host: str
    n: int


@dataclass(frozen=True, slots=True)
class ProbeRow:
    """``probes.sql``: pre-auth closes per host and address, in time order."""

    host: str
    client_ip: str
    starts: tuple[datetime, ...]
    ids: tuple[int, ...]
    evidence: Evidence | None


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """``timeline.sql``: connections per host, family and hour."""

    host: str
    family: str
    hour: datetime
    n: int


@dataclass(frozen=True, slots=True)
class TopIpRow:
    """``top_ips.sql``: the most frequent client addresses per host, family and cause."""

    host: str
    family: str
    cause: str
    client_ip: str
    n: int


@dataclass(frozen=True, slots=True)
class TopUserRow:
    """``top_users.sql``: the most frequent user names per host, family and cause."""

    host: str
    family: str
    cause: str
    user: str
    n: int


@dataclass(frozen=True, slots=True)
class UnauthPeakRow:
    """``unauth_peak.sql``: most unauthenticated connections open at once, per host."""

    host: str
    peak: int | None
    at: datetime | None


#: The row type of every rollup; ``connections.sql`` reads whole connections instead.
ROLLUPS: dict[str, type] = {
    "auth_failures": AuthFailureRow,
    "by_cause": CauseRow,
    "by_host": HostRow,
    "client_sessions": ClientSessionsRow,
    "drops": DropRow,
    "durations": DurationRow,
    "limit_drops": LimitDropRow,
    "password_logins": PasswordLoginRow,
    "probes": ProbeRow,
    "sources": SourceInfo,
    "timeline": TimelineRow,
    "top_ips": TopIpRow,
    "top_users": TopUserRow,
    "unauth_peak": UnauthPeakRow,
    "unmatched": UnmatchedShape,
}
