"""Typed, frozen data shared by every stage: readers -> classify -> sessionize -> store -> report.

Stages pass iterators of these types, never dicts; only ``store`` sees DuckDB rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import NewType, TypeVar

PatternId = NewType("PatternId", str)
_T = TypeVar("_T")


def quick_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that sets its slots directly.

    The ``__init__`` that ``dataclass`` writes for a frozen class calls
    ``object.__setattr__`` once per field; calling each slot's own setter builds the
    object about 3x faster, and the types built for every log line (records, events,
    evidence, connections) were a tenth of a scan's CPU time. Same parameters, defaults
    and result; instances stay frozen (assigning an attribute still raises). Like
    ``dataclass`` itself, the function is written as source and compiled once.
    """
    env: dict[str, object] = {}
    params, body = [], []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not MISSING or not f.init or f.kw_only:
            raise TypeError(f"quick_init: {cls.__name__}.{f.name} needs the generated init")
        if f.default is MISSING:
            params.append(f.name)
        else:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        env[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init: {cls.__name__} has a __post_init__")
    exec(f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body), env)  # noqa: S102
    init = env["__init__"]
    generated = cls.__init__
    init.__qualname__ = generated.__qualname__  # type: ignore[attr-defined]
    init.__annotations__ = generated.__annotations__
    setattr(cls, "__init__", init)  # noqa: B010
    return cls


BOOT_PROGRAM = "-- boot --"
"""The program of a journal boot marker record (``-- Boot <id> --`` in journalctl text, a
``_BOOT_ID`` change in a journal): the readers emit it with ``pid=None`` and the time and
host of the next record of the source; the sessionizer ends everything open on that host."""


@quick_init
@dataclass(frozen=True, slots=True)
class Record:
    """One line (or journal entry) of a source, with its framing parsed off."""

    ts: datetime | None
    """When it was logged, timezone-aware UTC; None when the line had no parsable time."""
    host: str | None
    """Host name from the header; None when the header had none."""
    program: str
    """Program name (``sshd``, ``sshd-session``, ``sshd(pam_unix)``, ``CRON``...); "" if unknown."""
    pid: int | None
    """Process id from the header, if any."""
    message: str
    """The message after the header (still with any ``error:`` prefix and ``[preauth]`` suffix)."""
    source: str
    """Where it came from: a path, ``-`` for stdin, or ``journal``."""
    line: int
    """1-based line number in the source (entry number for journals)."""
    repeat: int = 1
    """How many times it happened (``message repeated N times: [ ... ]`` gives N)."""
    cursor: str | None = None
    """Journal cursor of the entry, for resumable reads; None for files."""
    priority: int | None = None
    """Syslog priority (0-7) when the source records it."""
    flaws: tuple[str, ...] = ()
    """Values left out because they were out of range (``pid``, ``time``, ``port``...)."""
    stamp: str | None = None
    """The time stamp as the source wrote it (``Nov 30 03:10:02``,
    ``2026-11-30T03:10:02.123456+01:00``, journalctl's own stamp), shown in evidence lines;
    for journal entries, which hold no written stamp, the time with its zone
    (``2026-11-30 02:10:02.123456 UTC``). None when the source gave none."""

    @property
    def shown_stamp(self) -> str:
        """The stamp evidence lines show: as written, else the UTC time, else ``-``."""
        if self.stamp:
            return self.stamp
        return self.ts.isoformat().replace("+00:00", "Z") if self.ts is not None else "-"

    @property
    def cited(self) -> str:
        """The line as evidence quotes it: stamp, host, ``program[pid]:`` and message.

        A journalctl boot marker (``-- Boot <id> --``) is quoted as written, alone: it has
        no stamp, host or program of its own."""
        program = self.program
        if program == BOOT_PROGRAM:
            return f"{self.stamp} {self.host or '-'} {self.message}" if self.stamp else self.message
        stamp = self.stamp or self.shown_stamp
        if self.pid is not None:
            return f"{stamp} {self.host or '-'} {program}[{self.pid}]: {self.message}"
        return f"{stamp} {self.host or '-'} {program}: {self.message}"


@quick_init
@dataclass(frozen=True, slots=True)
class Event:
    """A record of an ssh program after classification (matched or not)."""

    record: Record
    pattern_id: PatternId | None
    """The catalogue entry that matched; None for an unmatched ssh line."""
    family: str | None
    cause: str | None
    role: str | None
    """What the sessionizer does with it (see ``catalogue.ROLES``)."""
    priority: int
    """How decisive it is for how a connection ended (higher wins)."""
    fields: Mapping[str, str]
    """Named fields the pattern captured (ip, port, user, code, ...), empty values dropped."""
    level: str | None = None
    """``error``/``fatal``/``debugN`` prefix stripped from the message, if any."""
    phase: str | None = None
    """``preauth``/``postauth`` suffix stripped from the message, if any."""
    postauth_family: str | None = None
    """Family to use instead when the connection had authenticated."""
    postauth_cause: str | None = None
    """Cause to use instead when the connection had authenticated."""


@quick_init
@dataclass(frozen=True, slots=True)
class Evidence:
    """One log line cited as evidence."""

    source: str
    line: int
    text: str


@quick_init
@dataclass(frozen=True, slots=True)
class Connection:
    """One TCP connection to sshd, reconstructed from the lines of its processes."""

    id: int
    host: str
    client_ip: str | None
    client_port: int | None
    user: str | None
    authenticated: bool
    method: str | None
    """Authentication method that succeeded (publickey, password, ...)."""
    start: datetime | None
    end: datetime | None
    family: str
    """Cause family of how it ended, ``open`` when still open, ``unknown`` when unexplained."""
    cause: str
    pattern_id: PatternId | None
    """The catalogue entry of the decisive event."""
    evidence: tuple[Evidence, ...]
    pids: tuple[int, ...] = ()
    failures: int = 0
    """Failed authentication attempts seen on it."""
    note: str | None = None
    """Why the family was inferred, when no single line says so."""
    decisive: Evidence | None = None
    """The line that decided the family (None when it was inferred)."""
    direction: str = "inbound"
    """``inbound`` (to this host's sshd) or ``outbound`` (this host's ssh client, ``ssh -y``)."""
    remote_host: str | None = None
    """Outbound: the server the client connected to (a name or an address, as its lines
    give it); None for inbound connections, whose peer is ``client_ip``."""

    @property
    def duration_s(self) -> float | None:
        """Seconds from the first to the last line, when both are known."""
        if self.start is None or self.end is None:
            return None
        return round((self.end - self.start).total_seconds(), 6)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What was read from one source."""

    path: str
    reader: str
    lines: int = 0
    """All lines (or entries) read."""
    ssh_lines: int = 0
    """Lines of ssh programs (sshd, sshd-session, sshd-auth, sshd's PAM lines)."""
    matched: int = 0
    unmatched: int = 0
    error: str | None = None
    """Why it could not be read (fully), if so."""
    hint: str | None = None
    """What to do about the error."""
    note: str | None = None
    """Anything else worth telling (e.g. "the default auth log")."""


@dataclass(frozen=True, slots=True)
class UnmatchedShape:
    """A group of unmatched ssh messages that differ only in addresses and numbers."""

    shape: str
    count: int
    example: str


@dataclass(frozen=True, slots=True)
class CauseCount:
    """How many connections of one host ended with one cause."""

    family: str
    cause: str
    count: int
    pattern_id: str | None
    evidence: Evidence | None
    top_ips: tuple[tuple[str, int], ...] = ()
    top_users: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnosis that looks at many connections at once."""

    rule: str
    """Which rule found it (``burst``, ``repeat-client``, ``idle-limit``, ...)."""
    host: str
    summary: str
    numbers: Mapping[str, object]
    """The values computed from the data (used to fill the advice)."""
    evidence: tuple[Evidence, ...] = ()
    connection_ids: tuple[int, ...] = ()
    hosts: tuple[str, ...] = ()
    """Every host it covers, when it spans several (``host`` is then the first)."""


@dataclass(frozen=True, slots=True)
class Advice:
    """A concrete change, with the numbers and findings that justify it."""

    id: str
    host: str
    title: str
    text: str
    snippet: str | None
    """Ready-to-paste configuration, if any."""
    because: tuple[str, ...]
    """Summaries of the findings or counts behind it."""
    evidence: tuple[Evidence, ...] = ()
    hosts: tuple[str, ...] = ()
    """Every host it applies to (one for most items; several for grouped noise)."""
    harm: int = 0
    """Rank: 10 users' sessions lost, 20 connections refused, 30 blind spots, 40-50 noise."""
    settings: tuple[tuple[str, str, str], ...] = ()
    """(host, option, value) it proposes; merged per host into ``HostConfig`` blocks."""
    changes: tuple[str, ...] = ()
    """What changes from what on each host (``web01: MaxStartups 10:30:100 -> 21:30:100``)."""
    command: str | None = None
    """Something to run or to put in another tool's configuration."""
    systemd: str | None = None
    """A systemd drop-in (only offered where systemd is evident)."""
    connection_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Everything the advice changes on one host, merged: one block per file."""

    host: str
    versions: str
    """The OpenSSH releases the host can be running, and why (``OpenSSH 9.8+ ...``)."""
    sshd_config: str | None
    """Lines for /etc/ssh/sshd_config (gated options commented with their guard)."""
    client_config: str | None
    """One ``Host`` block for the clients' ~/.ssh/config."""
    systemd: str | None = None


@dataclass(frozen=True, slots=True)
class HostFactsSummary:
    """What one host's own lines say about it (its release range, its init system)."""

    host: str
    versions: str
    """``OpenSSH 9.8+``, ``OpenSSH 7.2-7.6``, ``OpenSSH version unknown``."""
    version_min: str | None
    version_max: str | None
    version_evidence: tuple[str, ...]
    """Which line forms set the bounds."""
    systemd: bool
    """systemd is evident (a journal source, systemd lines)."""


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Session length of one family on one host (seconds)."""

    family: str
    count: int
    median_s: float
    p90_s: float
    max_s: float


@dataclass(frozen=True, slots=True)
class HourCount:
    """Connections of one family that ended (or began, if open) in one hour."""

    hour: datetime
    count: int


@dataclass(frozen=True, slots=True)
class FamilyTimeline:
    """One family's connections per hour on one host."""

    family: str
    hours: tuple[HourCount, ...]


@dataclass(frozen=True, slots=True)
class HostReport:
    """Per-host rollup."""

    host: str
    connections: int
    """Inbound connections (to this host's sshd)."""
    authenticated: int
    families: Mapping[str, int]
    causes: tuple[CauseCount, ...]
    abnormal: int = 0
    """Inbound connections that ended in an abnormal family (``families.ABNORMAL``:
    ``unknown`` endings are not counted, the log does not say they were abnormal)."""
    abnormal_share: float | None = None
    durations: tuple[DurationStats, ...] = ()
    timeline: tuple[FamilyTimeline, ...] = ()
    outbound: tuple[CauseCount, ...] = ()
    """Outbound (``ssh -y`` client) connections by cause."""
    outbound_count: int = 0


@dataclass(frozen=True, slots=True)
class SshdConfigSummary:
    """The server settings the report used (from ``--sshd-config``)."""

    host: str
    """The host they belong to (``*``: every host without a file of its own)."""
    source: str
    client_alive_interval: int
    client_alive_count_max: int
    login_grace_time: int
    max_startups: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which ingest runs a stored report stands on (``report`` only, never ``scan``)."""

    runs: int
    first_run: datetime | None
    last_run: datetime | None
    first_line: datetime | None
    """Time of the earliest connection stored in the window."""
    last_line: datetime | None
    silent_sources: tuple[str, ...] = ()
    """Sources that delivered no line in the window's runs: never read as "no problems"."""


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a renderer needs; renderers are pure functions of it."""

    sources: tuple[SourceInfo, ...]
    hosts: tuple[HostReport, ...]
    connections: Sequence[Connection]
    """Every connection, in a stable order; may be read from the store page by page."""
    unmatched_count: int
    unmatched: tuple[UnmatchedShape, ...]
    advice: tuple[Advice, ...] = ()
    findings: tuple[Finding, ...] = ()
    sshd_config: tuple[SshdConfigSummary, ...] = ()
    coverage: Coverage | None = None
    config: tuple[HostConfig, ...] = ()
    """The advice's settings merged into one block per host."""
    host_facts: tuple[HostFactsSummary, ...] = ()
    merge: Callable[[Sequence[Advice]], tuple[HostConfig, ...]] | None = field(
        default=None, repr=False, compare=False
    )
    """Merges some of the advice items into blocks like ``config`` (what a layout that
    shows only some items, ``--top``, offers to paste); None: only ``config`` is known."""
