"""Events -> connections: join the lines of one TCP connection and decide how it ended.

sshd logs one connection from several processes: the listener (MaxStartups drops,
LoginGraceTime), the per-connection monitor (auth, PAM) and the post-auth user child
(disconnects). Lines are joined by pid (``User child is on pid N`` links the two pids),
by client ip + port (nearly every per-connection line carries both) and, for old
formats without a port, by the latest connection of that ip. State is kept only for
connections that may still receive lines, so memory does not grow with the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from logsleuth.families import OPEN
from logsleuth.model import Connection, Event, Evidence, PatternId

#: Ends at or above this priority explain the end even after failed auth attempts.
STRONG = 80
#: An ended connection is finalized once the log has moved this far past its end.
SETTLE = timedelta(seconds=120)
#: A connection that never authenticated cannot outlive LoginGraceTime by this much.
PREAUTH_STALE = timedelta(hours=1)
#: A "Received signal" this close to an unexplained end marks a server shutdown.
SHUTDOWN_WINDOW = timedelta(seconds=5)
MAX_EVIDENCE = 60
_PREAUTH_FAMILIES = frozenset(
    {"preauth-probe", "auth-failure", "negotiation-failure", "access-policy", "server-limit"}
)
#: How far above its monitor's pid an unlinked user child's pid may be.
CHILD_PID_GAP = 64
_CREATING_ROLES = frozenset(
    {"start", "auth-ok", "auth-fail", "end", "session-open", "session-close", "pid-end"}
)
NO_HOST = "(unknown host)"


def evidence_of(ev: Event) -> Evidence:
    """The cited form of an event's line."""
    r = ev.record
    prog = f"{r.program}[{r.pid}]" if r.pid is not None else r.program
    stamp = r.ts.isoformat().replace("+00:00", "Z") if r.ts else "-"
    host = r.host or "-"
    return Evidence(r.source, r.line, f"{stamp} {host} {prog}: {r.message}")


@dataclass(slots=True)
class _Conn:
    host: str
    ip: str | None = None
    port: str | None = None
    user: str | None = None
    authenticated: bool = False
    method: str | None = None
    start: datetime | None = None
    first: datetime | None = None
    last: datetime | None = None
    end_ev: Event | None = None
    fail_ev: Event | None = None
    failures: int = 0
    closed_at: datetime | None = None
    outbound: bool = False
    pids: list[int] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    dropped_evidence: int = 0

    @property
    def over(self) -> bool:
        return self.end_ev is not None or self.closed_at is not None


class Sessionizer:
    """Feed events in log order; collect finished connections as they settle."""

    def __init__(self, login_grace_time: int = 120, grace_from_config: bool = False) -> None:
        """``login_grace_time``: the server's LoginGraceTime; ``grace_from_config``: it was
        read from the server's configuration rather than assumed (OpenSSH's default)."""
        self._grace = timedelta(seconds=login_grace_time)
        self._grace_known = grace_from_config
        self._stopped: dict[str, datetime] = {}
        self._by_pid: dict[tuple[str, int], _Conn] = {}
        self._by_addr: dict[tuple[str, str, str], _Conn] = {}
        self._by_ip: dict[tuple[str, str], _Conn] = {}
        self._live: dict[int, _Conn] = {}
        self._signals: dict[str, list[datetime]] = {}
        self._next_id = 1
        self._now: datetime | None = None
        self._fed = 0
        self._next_sweep = 2000
        self._awaiting_child: dict[str, dict[int, _Conn]] = {}

    # -- lookup -------------------------------------------------------------------
    def _new(self, host: str) -> _Conn:
        c = _Conn(host)
        self._live[id(c)] = c
        return c

    def _find(self, ev: Event, host: str) -> _Conn | None:
        r, f = ev.record, ev.fields
        ip, port = f.get("ip"), f.get("port")
        if ip and port:
            c = self._by_addr.get((host, ip, port))
            if c is not None and not (ev.role == "start" and c.first is not None and c.over):
                return c
        if r.pid is not None:
            c = self._by_pid.get((host, r.pid))
            if c is not None:
                if ip and port and c.ip and (c.ip, c.port) != (ip, port):
                    return None  # the pid was reused by a new connection
                if ev.role == "start" and (c.start is not None or c.over):
                    return None
                return c
        if ip and not port and ev.role != "start":
            return self._by_ip.get((host, ip))
        if (
            not ip
            and r.pid is not None
            and ev.role in ("end", "info")
            and ev.phase is None
            and ev.family not in _PREAUTH_FAMILIES
        ):
            return self._parent_of(host, r.pid)
        return None

    def _parent_of(self, host: str, pid: int) -> _Conn | None:
        """The authenticated session whose monitor forked this unknown child pid.

        Without ``User child is on pid N`` (VERBOSE) a child line that carries no
        address (OpenSSH <= 7.6 keepalive timeouts, a jump host's ``connect_to``)
        belongs to the open session whose pid is just below it: the child is forked
        right after authentication.
        """
        best: _Conn | None = None
        best_pid = -1
        waiting = self._awaiting_child.get(host, {})
        for p, c in list(waiting.items()):
            if c.end_ev is not None or len(c.pids) != 1 or self._live.get(id(c)) is not c:
                del waiting[p]  # it found its child, ended or was written out
            elif 0 < pid - p <= CHILD_PID_GAP and p > best_pid:
                best, best_pid = c, p
        return best

    def _index(self, c: _Conn, ev: Event) -> None:
        r, f = ev.record, ev.fields
        if r.pid is not None and ev.role not in ("drop", "server"):
            self._by_pid[(c.host, r.pid)] = c
            if r.pid not in c.pids:
                c.pids.append(r.pid)
        ip, port = f.get("ip"), f.get("port")
        if ip and c.ip is None and not c.outbound:
            c.ip = ip
        if port and c.port is None and c.ip is not None and c.ip == ip and not c.outbound:
            c.port = port
            self._by_addr[(c.host, c.ip, port)] = c
        if c.ip:
            self._by_ip[(c.host, c.ip)] = c
        child = f.get("child_pid")
        if ev.role == "link" and child and child.isdigit():
            self._by_pid[(c.host, int(child))] = c
            if int(child) not in c.pids:
                c.pids.append(int(child))

    # -- feeding ------------------------------------------------------------------
    def feed(self, ev: Event) -> Iterator[Connection]:
        """Take one event; yield connections that can no longer change."""
        r = ev.record
        host = r.host or NO_HOST
        if r.ts is not None:
            self._now = r.ts if self._now is None or r.ts > self._now else self._now
        role = ev.role
        if role == "server":
            kind = _server_kind(ev)
            if r.ts is not None and kind == "stop":
                self._signals.setdefault(host, []).append(r.ts)
                self._stopped[host] = r.ts
            elif kind == "start":
                self._stopped.pop(host, None)
        elif role == "drop":
            dropped = self._new(host)
            dropped.ip, dropped.port = ev.fields.get("ip"), ev.fields.get("port")
            self._apply(dropped, ev)
            yield self._finalize(dropped)
        elif role == "pid-end":
            pid = ev.fields.get("pid")
            ended = self._by_pid.get((host, int(pid))) if pid and pid.isdigit() else None
            if ended is None:
                ended = self._new(host)
                if pid and pid.isdigit():
                    self._by_pid[(host, int(pid))] = ended
                    ended.pids.append(int(pid))
            self._apply(ended, ev)
        else:
            c = self._find(ev, host)
            if c is None and (
                role in _CREATING_ROLES
                or (role is not None and ev.fields.get("ip") and ev.fields.get("port"))
            ):
                c = self._new(host)
            if c is not None:
                self._index(c, ev)
                self._apply(c, ev)
        self._fed += 1
        if self._fed >= self._next_sweep:
            yield from self._sweep()
            # Sweeping costs one pass over the live connections: space sweeps at least
            # that many events apart so the cost per event stays constant.
            self._next_sweep = self._fed + max(2000, len(self._live))

    def feed_outbound(self, ev: Event) -> None:
        """An ssh client line (``ssh -y`` logging to syslog): one connection per client pid."""
        r = ev.record
        host = r.host or NO_HOST
        key = (host, -(r.pid or 0))  # negative keys keep client pids apart from sshd's
        c = self._by_pid.get(key)
        if c is None or (c.over and ev.role == "start"):
            c = self._new(host)
            c.outbound = True
            self._by_pid[key] = c
        if ev.fields.get("host") and c.ip is None:
            c.ip = ev.fields["host"]
        elif ev.fields.get("ip") and c.ip is None:
            c.ip = ev.fields["ip"]
        self._apply(c, ev)

    def _apply(self, c: _Conn, ev: Event) -> None:
        r, f, role = ev.record, ev.fields, ev.role
        ts = r.ts
        if ts is not None:
            c.first = ts if c.first is None or ts < c.first else c.first
            c.last = ts if c.last is None or ts > c.last else c.last
        if role == "start" and ts is not None:
            c.start = ts
        user = f.get("user")
        if user and (c.user is None or role == "auth-ok"):
            c.user = user
        if role == "auth-ok":
            c.authenticated = True
            if len(c.pids) == 1 and not c.outbound:
                self._awaiting_child.setdefault(c.host, {})[c.pids[0]] = c
            c.method = f.get("method", c.method)
        elif role == "auth-fail":
            # Only `Failed <method> ...` lines are attempts; `Invalid user` and the PAM
            # lines are further traces of the same attempts.
            if "method" in f:
                c.failures += r.repeat
            if c.fail_ev is None or ev.priority >= c.fail_ev.priority:
                c.fail_ev = ev
        elif role in ("end", "drop", "pid-end") or (
            c.outbound and ev.family not in (None, "session")
        ):
            if c.end_ev is None or ev.priority >= c.end_ev.priority:
                c.end_ev = ev
        elif role == "session-close" and ts is not None:
            c.closed_at = ts
        if len(c.evidence) < MAX_EVIDENCE:
            c.evidence.append(evidence_of(ev))
        else:
            c.dropped_evidence += 1

    # -- finishing ----------------------------------------------------------------
    def _sweep(self) -> Iterator[Connection]:
        now = self._now
        if now is None:
            return
        for c in list(self._live.values()):
            last = c.last or now
            if (c.over and now - last > SETTLE) or (
                not c.authenticated and now - last > PREAUTH_STALE
            ):
                yield self._finalize(c)

    def finish(self) -> Iterator[Connection]:
        """Yield every connection still held (those without an end are ``open``)."""
        for c in sorted(
            self._live.values(),
            key=lambda c: (
                c.first or datetime.min.replace(tzinfo=self._now.tzinfo if self._now else None)
            ),
        ):
            yield self._finalize(c, at_end=True)

    def _shutdown_near(self, c: _Conn, ts: datetime | None) -> bool:
        if ts is None:
            return False
        return any(abs(s - ts) <= SHUTDOWN_WINDOW for s in self._signals.get(c.host, ()))

    def _decide(self, c: _Conn, at_end: bool) -> tuple[str, str, Event | None, str | None]:
        end = c.end_ev
        if end is not None and end.family:
            if c.authenticated and end.postauth_family and end.postauth_cause:
                return end.postauth_family, end.postauth_cause, end, None
            if (
                not c.authenticated
                and c.fail_ev is not None
                and end.priority < STRONG
                and c.fail_ev.family
            ):
                return c.fail_ev.family, c.fail_ev.cause or "", c.fail_ev, None
            return end.family, end.cause or "", end, None
        if c.closed_at is not None or (not at_end and c.authenticated):
            if self._shutdown_near(c, c.closed_at or c.last):
                return (
                    "server-shutdown",
                    "server-shutdown/sshd-stopped",
                    None,
                    "sshd received a signal as this session closed",
                )
            return (
                "unknown",
                "unknown/no-disconnect-line",
                None,
                "the session closed and no line says why",
            )
        if c.fail_ev is not None and c.fail_ev.family:
            return c.fail_ev.family, c.fail_ev.cause or "", c.fail_ev, None
        stopped = self._stopped.get(c.host)
        if at_end and c.authenticated and stopped and c.last and stopped >= c.last:
            return (
                "server-shutdown",
                "server-shutdown/sshd-stopped",
                None,
                "sshd was stopped after this session's last line and not started again; "
                "no line shows the session ending",
            )
        quiet = self._now - c.last if self._now and c.last else timedelta(0)
        margin = timedelta(seconds=1) if self._grace_known else SHUTDOWN_WINDOW
        if (
            at_end
            and not c.authenticated
            and quiet >= self._grace - margin
            and (self._grace_known or quiet > self._grace + margin)
        ):
            note = (
                f"did not authenticate within LoginGraceTime ({int(self._grace.total_seconds())}"
                " s) and no line says how it ended: OpenSSH before 8.5, and patched 8.5-9.7 "
                "builds such as Debian 12's, log nothing when LoginGraceTime cuts a connection"
            )
            if self._grace_known:
                return "server-limit", "server-limit/login-grace-time-silent", None, note
            return "unknown", "unknown/no-end-line", None, note
        if at_end and not c.authenticated and stopped and c.last and stopped >= c.last:
            return (
                "unknown",
                "unknown/no-end-line",
                None,
                "sshd was stopped before this connection authenticated, and no line says how "
                "it ended (a LoginGraceTime cut logs nothing on many builds)",
            )
        if at_end:
            return OPEN, OPEN, None, "still open at the end of the log"
        return (
            "unknown",
            "unknown/no-end-line",
            None,
            "the connection went quiet and no line says how it ended",
        )

    def _finalize(self, c: _Conn, at_end: bool = False) -> Connection:
        self._live.pop(id(c), None)
        if c.pids and self._awaiting_child.get(c.host, {}).get(c.pids[0]) is c:
            del self._awaiting_child[c.host][c.pids[0]]
        for pid in c.pids:
            key = (c.host, -pid if c.outbound else pid)
            if self._by_pid.get(key) is c:
                del self._by_pid[key]
        if c.outbound:
            for key in [k for k, v in self._by_pid.items() if v is c]:
                del self._by_pid[key]
        if c.ip and c.port and self._by_addr.get((c.host, c.ip, c.port)) is c:
            del self._by_addr[(c.host, c.ip, c.port)]
        if c.ip and self._by_ip.get((c.host, c.ip)) is c:
            del self._by_ip[(c.host, c.ip)]
        family, cause, decisive, note = self._decide(c, at_end)
        end: datetime | None = None
        if family != OPEN:
            end = c.closed_at if decisive is None and c.closed_at else c.last
            if decisive is not None and decisive.record.ts is not None:
                end = max(decisive.record.ts, c.closed_at or decisive.record.ts)
        if c.dropped_evidence:
            note = (note + "; " if note else "") + f"{c.dropped_evidence} more lines not shown"
        conn = Connection(
            id=self._next_id,
            host=c.host,
            client_ip=c.ip,
            client_port=int(c.port) if c.port and c.port.isdigit() else None,
            user=c.user,
            authenticated=c.authenticated,
            method=c.method,
            start=c.start or c.first,
            end=end,
            family=family,
            cause=cause,
            pattern_id=PatternId(decisive.pattern_id) if decisive and decisive.pattern_id else None,
            evidence=tuple(c.evidence),
            pids=tuple(c.pids),
            failures=c.failures,
            note=note,
            direction="outbound" if c.outbound else "inbound",
            decisive=evidence_of(decisive) if decisive is not None else None,
        )
        self._next_id += 1
        return conn


def _server_kind(ev: Event) -> str | None:
    """Whether a listener line says sshd stopped (a signal) or started (listening)."""
    text = f"{ev.cause or ''} {ev.pattern_id or ''}".lower()
    body = ev.record.message
    if "Received signal" in body or "signal" in text or "terminat" in text:
        return "stop"
    if "Server listening" in body or "listen" in text:
        return "start"
    return None


def sessionize(events: Iterable[Event]) -> Iterator[Connection]:
    """All connections of a stream of server events, in the order they settle."""
    s = Sessionizer()
    for ev in events:
        yield from s.feed(ev)
    yield from s.finish()
