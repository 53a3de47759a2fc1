"""Events -> connections: join the lines of one TCP connection and decide how it ended.

sshd logs one connection from several processes: the listener (MaxStartups drops,
LoginGraceTime), the per-connection monitor (auth, PAM) and the post-auth user child
(disconnects); ``patterns/processes.toml`` says which process writes which line
(:mod:`logsleuth.processes`). The sessionizer is keyed on the **process**: within one
process's lifetime its pid is its connection. Other processes join a connection only
through a link: ``User child is on pid N``, the listener's ``pid = N``, the client
address *and port* of a line (a TCP connection's identity), or, for a user child whose
lines carry no port, being forked right after its monitor authenticated (pid just above,
same address). An address without a port never joins two processes.

A process's lifetime ends at its end line (a line its writer ``exits`` after); the same
pid after that, a login or failed login where the process already logged in, another
client address, or a pre-auth line later than any LoginGraceTime allows, starts a new
connection. Restarts and reboots end what they killed (family ``server-shutdown``).
State is kept only for connections that may still receive lines.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NotRequired, TypedDict

from logsleuth import processes
from logsleuth.families import OPEN
from logsleuth.keys import id_of
from logsleuth.limits import MAX_COUNT
from logsleuth.model import BOOT_PROGRAM, Connection, Event, Evidence, PatternId, Record
from logsleuth.processes import Writer, WriterTable

_NO_TIME = datetime.min.replace(tzinfo=UTC)

#: Ends at or above this priority explain the end even after failed auth attempts.
STRONG = 80
#: An ended connection is finalized once the log has moved this far past its end.
SETTLE = timedelta(seconds=120)
#: Lines of a process this soon after its end line are still its own (the second line
#: of a shutdown, the monitor's PAM summary); later ones belong to a new process.
TAIL = timedelta(seconds=10)
#: The longest pre-auth phase assumed when LoginGraceTime is unknown or short: a pre-auth
#: line of a pid later than this after the process's first line is a reused pid.
PREAUTH_LIMIT = timedelta(minutes=10)
#: With ``LoginGraceTime 0`` (no limit) a pre-auth connection is still cut here.
UNLIMITED_GRACE = timedelta(hours=1)
#: A "Received signal" this close to an unexplained end marks a server shutdown.
SHUTDOWN_WINDOW = timedelta(seconds=5)
#: How long a stopped server may stay stopped before a boot marker still counts as the
#: reboot that stopped it (connections closed at the stop wait this long to settle).
REBOOT_WINDOW = timedelta(minutes=30)
MAX_EVIDENCE = 60
#: The most processes one connection has: monitor, pre-auth child, user child, helper.
MAX_PIDS = 4
#: A host's live connections are checked for having settled after this many of its
#: lines (or as many as it holds connections, if more). Live state is so bounded per
#: host: a log of more hosts holds more, a longer log of the same hosts no more.
SWEEP = 256
_PREAUTH_FAMILIES = frozenset(
    {"preauth-probe", "auth-failure", "negotiation-failure", "access-policy", "server-limit"}
)
#: How far above its monitor's pid an unlinked user child's pid may be.
CHILD_PID_GAP = 64
_CREATING_ROLES = frozenset(
    {"start", "auth-ok", "auth-fail", "end", "session-open", "session-close", "pid-end"}
)
NO_HOST = "(unknown host)"
#: What a listener or host line means for the connections, by its cause.
_SERVER_KINDS = {
    "server-shutdown/signal": "stop",
    "session/server-start": "start",
}
_REBOOT = "server-shutdown/reboot"


def connection_id(c: _Conn) -> int:
    """The stable id (:mod:`logsleuth.keys`) the connection has if it ends as it is now:
    the id of its Connection once yielded, and of ``finish()`` while it is held."""
    first = c.evidence[0].text if c.evidence else ""
    port = int(c.port) if c.port and c.port.isdigit() else None
    return id_of(
        c.host, "outbound" if c.outbound else "inbound", first, c.ip or "", str(port or "")
    )


def id_is_final(c: _Conn) -> bool:
    """Whether :func:`connection_id` can no longer change: its first line is fixed, and
    the address and port are each set at most once (an outbound connection has none)."""
    return c.ip is not None and (c.port is not None or c.outbound)


def evidence_of(ev: Event) -> Evidence:
    """The cited form of an event's line."""
    r = ev.record
    return Evidence(r.source, r.line, r.cited)


@lru_cache(maxsize=65536)
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


@dataclass(slots=True)
class _Mark:
    """A server stop, restart or reboot that may have killed a connection."""

    cause: str
    ev: Event
    at: datetime
    note: str


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
    ended_at: datetime | None = None
    """When a line its writer exits after was logged: nothing joins it later."""
    outbound: bool = False
    pids: list[int] = field(default_factory=list)
    pid_first: dict[int, datetime] = field(default_factory=dict)
    pid_end: dict[int, datetime] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    dropped_evidence: int = 0
    mark: _Mark | None = None

    @property
    def over(self) -> bool:
        return self.end_ev is not None or self.closed_at is not None

    @property
    def done_at(self) -> datetime | None:
        """When the connection ended for good (its end line or PAM close), if it did."""
        if self.ended_at and self.closed_at:
            return min(self.ended_at, self.closed_at)
        return self.ended_at or self.closed_at


@dataclass(slots=True)
class _Host:
    """What is known about one host's sshd listener and its restarts."""

    now: datetime | None = None
    listener: int | None = None
    stop: Event | None = None
    """The listener's last stop (``Received signal``) not followed by a start."""
    signals: list[tuple[datetime, Event | None]] = field(default_factory=list)
    """Every stop (``Received signal``): its time and line (None from a state saved
    before the line was kept)."""
    reboots: list[tuple[datetime, Event]] = field(default_factory=list)
    """Reboot lines (logind) and the stops a boot marker showed to be reboots."""
    live: dict[int, _Conn] = field(default_factory=dict)
    """Its connections not yet written out (by ``id``)."""
    fed: int = 0
    """Its events fed (since the state was restored)."""
    next_sweep: int = SWEEP
    """When (in ``fed``) its live connections are next checked for having settled."""


@dataclass(frozen=True, slots=True)
class _Verdict:
    family: str
    cause: str
    decisive: Event | None
    note: str | None
    end: datetime | None


class Sessionizer:
    """Feed events in log order; collect finished connections as they settle."""

    def __init__(
        self,
        login_grace_time: int = 120,
        grace_from_config: bool = False,
        writers: WriterTable | None = None,
    ) -> None:
        """``login_grace_time``: the server's LoginGraceTime; ``grace_from_config``: it was
        read from the server's configuration rather than assumed (OpenSSH's default);
        ``writers``: the process table (default: the built-in one)."""
        self._grace = timedelta(seconds=login_grace_time)
        self._grace_known = grace_from_config
        if login_grace_time <= 0:
            self._preauth_limit = UNLIMITED_GRACE
        else:
            self._preauth_limit = max(PREAUTH_LIMIT, self._grace + timedelta(minutes=1))
        self._writers = writers or processes.load()
        self._hosts: dict[str, _Host] = {}
        self._procs: dict[tuple[str, int], _Conn] = {}
        self._by_addr: dict[tuple[str, str, str], _Conn] = {}
        self._live: dict[int, _Conn] = {}
        self._awaiting_child: dict[str, dict[int, _Conn]] = {}
        self._next_id = 1
        self.stable_ids = False
        """Give connections their stable id (:mod:`logsleuth.keys`), not a running number."""
        self.last_conn: _Conn | None = None
        """The connection the last event fed joined (None: it joined none), for the
        events table; read it after the ``feed`` generator is exhausted."""

    # -- small helpers ------------------------------------------------------------
    def _host(self, name: str) -> _Host:
        h = self._hosts.get(name)
        if h is None:
            h = self._hosts[name] = _Host()
        return h

    def _new(self, host: str) -> _Conn:
        c = _Conn(host)
        self._live[id(c)] = c
        self._host(host).live[id(c)] = c
        return c

    def _writer(self, ev: Event) -> Writer:
        return self._writers.of(ev.pattern_id, ev.role)

    def _fits(self, c: _Conn, ev: Event, ip: str | None, port: str | None) -> bool:
        """Whether a line can belong to the lifetime of connection ``c``."""
        ts, role = ev.record.ts, ev.role
        if ip and c.ip and ip != c.ip:
            return False
        if ip and port and c.port and ip == c.ip and port != c.port:
            return False
        done = c.done_at
        if done is not None and ts is not None and ts - done > TAIL:
            return False
        if role == "start" and (c.start is not None or done is not None):
            return False
        if role == "start" and ts is not None and c.first is not None and ts - c.first > TAIL:
            return False
        if ts is not None and c.first is not None and ts < c.first - self._preauth_limit:
            return False  # long before the connection began: another process's line
        if role == "auth-ok" and c.authenticated:
            return False
        if c.authenticated and role == "auth-fail" and ev.family == "auth-failure":
            return False  # no process fails to log in after logging in: a reused pid
        return not (
            not c.authenticated
            and role != "auth-ok"
            and ts is not None
            and c.first is not None
            and ts - c.first > self._preauth_limit
        )

    # -- finding the connection of a line ------------------------------------------
    def _conn_for(
        self, ev: Event, host: str, w: Writer, ip: str | None, port: str | None
    ) -> _Conn | None:
        r = ev.record
        pid = r.pid
        if pid is not None:
            c = self._procs.get((host, pid))
            if c is not None:
                ended = c.pid_end.get(pid)
                if self._fits(c, ev, ip, port) and not (
                    ended is not None
                    and (
                        ev.role in ("start", "auth-ok")
                        or (r.ts is not None and r.ts - ended > TAIL)
                    )
                ):
                    return c
                self._release(c, pid)
        c = self._link(ev, host, pid, w, ip, port)
        if c is None:
            if ev.role in _CREATING_ROLES or (ev.role is not None and ip):
                c = self._new(host)
            else:
                return None
        if pid is not None:
            self._attach(c, host, pid, r.ts)
        return c

    def _link(
        self, ev: Event, host: str, pid: int | None, w: Writer, ip: str | None, port: str | None
    ) -> _Conn | None:
        """The live connection a process not seen before belongs to, if something links it."""
        if ip and port:
            c = self._by_addr.get((host, ip, port))
            if (
                c is not None
                and self._live.get(id(c)) is c
                and len(c.pids) < MAX_PIDS
                and self._fits(c, ev, ip, port)
            ):
                return c
            return None
        if pid is None or port or not w.may_be_child or ev.phase == "preauth":
            return None
        if ev.role not in ("end", "info"):
            return None
        if not ip and ev.family in _PREAUTH_FAMILIES:
            return None
        return self._parent_of(host, pid, ip, ev)

    def _parent_of(self, host: str, pid: int, ip: str | None, ev: Event) -> _Conn | None:
        """The authenticated session whose monitor forked this unknown child pid.

        Without ``User child is on pid N`` (VERBOSE) a child line that carries no port
        (OpenSSH <= 7.1 disconnects, <= 7.6 keepalive timeouts, a jump host's
        ``connect_to``) belongs to the open session whose pid is just below it, when the
        address (if the line names one) is that session's: the child is forked right
        after authentication.
        """
        best: _Conn | None = None
        best_pid = -1
        waiting = self._awaiting_child.get(host, {})
        for p, c in list(waiting.items()):
            if c.done_at is not None or len(c.pids) != 1 or self._live.get(id(c)) is not c:
                del waiting[p]  # it found its child, ended or was written out
            elif (
                0 < pid - p <= CHILD_PID_GAP
                and p > best_pid
                and (ip is None or ip == c.ip)
                and self._fits(c, ev, ip, None)
            ):
                best, best_pid = c, p
        return best

    def _attach(self, c: _Conn, host: str, pid: int, ts: datetime | None) -> None:
        old = self._procs.get((host, pid))
        if old is not None and old is not c:
            self._release(old, pid)
        self._procs[(host, pid)] = c
        if pid not in c.pids:
            c.pids.append(pid)
        if ts is not None and pid not in c.pid_first:
            c.pid_first[pid] = ts

    def _release(self, c: _Conn, pid: int) -> None:
        """The process ``pid`` no longer belongs to ``c`` (its pid was reused)."""
        if self._procs.get((c.host, pid)) is c:
            del self._procs[(c.host, pid)]
        waiting = self._awaiting_child.get(c.host)
        if waiting is not None and waiting.get(pid) is c:
            del waiting[pid]

    def _index(self, c: _Conn, ev: Event, ip: str | None, port: str | None) -> None:
        if ip and c.ip is None and not c.outbound:
            c.ip = ip
        if port and c.port is None and c.ip is not None and c.ip == ip and not c.outbound:
            c.port = port
            self._by_addr[(c.host, c.ip, port)] = c
        child = ev.fields.get("child_pid")
        if ev.role == "link" and child and child.isdigit():
            self._attach(c, c.host, int(child), ev.record.ts)

    # -- feeding ------------------------------------------------------------------
    def feed(self, ev: Event) -> Sequence[Connection]:
        """Take one event; return the connections that can no longer change (most often
        none: a list is built only when some settle)."""
        r = ev.record
        host = r.host or NO_HOST
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host()
        before = h.now
        ts = r.ts
        if ts is not None and (before is None or ts > before):
            h.now = ts
        role = ev.role
        self.last_conn = None
        out: Sequence[Connection] = ()
        if r.program == BOOT_PROGRAM or role == "host":
            out = list(self._host_event(host, h, ev, before))
        elif role == "server":
            self._server(host, h, ev, before)
        elif role == "drop":
            dropped = self.last_conn = self._new(host)
            dropped.ip, dropped.port = ev.fields.get("ip"), ev.fields.get("port")
            self._apply(dropped, ev)
            out = [self._finalize(dropped)]
        elif role == "pid-end":
            pid = ev.fields.get("pid")
            ended = self._procs.get((host, int(pid))) if pid and pid.isdigit() else None
            if ended is None:
                ended = self._new(host)
                if pid and pid.isdigit():
                    self._attach(ended, host, int(pid), r.ts)
            self._apply(ended, ev)
            self.last_conn = ended
        else:
            # The writer and the address, once per line (the lookup and the join use both).
            w = self._writers.of(ev.pattern_id, role)
            # The client address and port the line names (IP literals only); the roles
            # that name none (pid-end, server, host) took the branches above.
            ip = ev.fields.get("ip") if w.client_address else None
            port = None
            if ip and _is_ip(ip):
                port = ev.fields.get("port")
            else:
                ip = None
            c = self.last_conn = self._conn_for(ev, host, w, ip, port)
            if c is not None:
                self._index(c, ev, ip, port)
                self._apply(c, ev)
        # Each host is swept on its own count of lines, so that what becomes of a host's
        # connections never depends on how many lines other hosts wrote in between: a
        # host's connections are those of a scan of its lines alone (and a scan split
        # by host, :mod:`logsleuth.split`, gives the same report).
        fed = h.fed = h.fed + 1
        if fed >= h.next_sweep:
            out = [*out, *self._sweep(h)]
            # Sweeping costs one pass over the host's live connections: space sweeps at
            # least that many lines apart so the cost per line stays constant.
            h.next_sweep = fed + max(SWEEP, len(h.live))
        return out

    def is_live(self, c: _Conn) -> bool:
        """Whether ``c`` may still change (it has not been yielded as a Connection)."""
        return self._live.get(id(c)) is c

    def live_connections(self) -> list[_Conn]:
        """The connections held now (those a saved state carries to the next run)."""
        return list(self._live.values())

    def _open_on(self, host: str) -> list[_Conn]:
        return [c for c in self._host(host).live.values() if not c.outbound]

    def _server(self, host: str, h: _Host, ev: Event, before: datetime | None) -> None:
        """A listener line: a stop marks what it may kill; a new listener pid ends the old."""
        r = ev.record
        kind = _SERVER_KINDS.get(ev.cause or "")
        if kind == "stop" and r.ts is not None:
            h.signals.append((r.ts, ev))
            h.stop = ev
            if r.pid is not None:
                h.listener = r.pid
        elif kind == "start":
            if (
                h.listener is not None
                and r.pid is not None
                and r.pid != h.listener
                and h.stop is None
                and r.ts is not None
            ):
                # The old listener vanished without a word: the host went down (power
                # loss, crash, a reboot that logged nothing) or sshd was killed.
                note = (
                    "sshd started again as a new process and no line says the old one "
                    "stopped: the host most likely went down (crash, power loss or an "
                    "unlogged reboot) and took this connection with it"
                )
                down = before if before is not None and before <= r.ts else r.ts
                for c in self._open_on(host):
                    if c.done_at is None and c.mark is None:
                        c.mark = _Mark("server-shutdown/restart-unlogged", ev, down, note)
            h.stop = None
            if r.pid is not None:
                h.listener = r.pid

    def _host_event(
        self, host: str, h: _Host, ev: Event, before: datetime | None
    ) -> Iterator[Connection]:
        """A reboot or power-off line, or a boot marker: the host killed everything."""
        r = ev.record
        if r.program != BOOT_PROGRAM:
            # logind announces the shutdown; the sessions' last lines may still follow.
            if r.ts is not None:
                h.reboots.append((r.ts, ev))
                what = "powered off" if "power-off" in (ev.cause or "") else "rebooted"
                note = f"the host was {what} while this connection was open"
                for c in self._open_on(host):
                    if c.done_at is None and c.mark is None:
                        c.mark = _Mark(ev.cause or _REBOOT, ev, r.ts, note)
            return
        # A boot marker: nothing from before it is still running. The host was last
        # seen alive at the line before it.
        if h.stop is not None and h.stop.record.ts is not None:
            h.reboots.append((h.stop.record.ts, ev))
        h.stop = None
        h.listener = None
        note = "the host rebooted (a new boot begins in the journal) while this connection was open"
        for c in self._open_on(host):
            if c.done_at is None and (c.mark is None or c.mark.cause.endswith("-unlogged")):
                down = before or c.last or r.ts
                if down is not None:
                    c.mark = _Mark(_REBOOT, ev, max(down, c.last or down), note)
            yield self._finalize(c)

    def feed_outbound(self, ev: Event) -> None:
        """An ssh client line (``ssh -y`` logging to syslog): one connection per client pid."""
        r = ev.record
        host = r.host or NO_HOST
        key = (host, -(r.pid or 0))  # negative keys keep client pids apart from sshd's
        c = self._procs.get(key)
        if c is None or (c.over and ev.role == "start"):
            c = self._new(host)
            c.outbound = True
            self._procs[key] = c
            c.pids.append(r.pid or 0)
        self.last_conn = c
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
            if c.mark is not None and ts > c.mark.at + SHUTDOWN_WINDOW and c.done_at is None:
                c.mark = None  # it outlived the restart: not killed by it
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
                c.failures = min(c.failures + r.repeat, MAX_COUNT)
            if c.fail_ev is None or ev.priority >= c.fail_ev.priority:
                c.fail_ev = ev
        elif role in ("end", "drop", "pid-end") or (
            c.outbound and ev.family not in (None, "session")
        ):
            if c.end_ev is None or ev.priority >= c.end_ev.priority:
                c.end_ev = ev
            if (
                not c.outbound
                and ts is not None
                and (role in ("drop", "pid-end") or self._writer(ev).exits)
            ):
                c.ended_at = ts if c.ended_at is None else min(c.ended_at, ts)
                if r.pid is not None and role == "end":
                    c.pid_end.setdefault(r.pid, ts)
        elif role == "session-close" and ts is not None:
            c.closed_at = ts
        if len(c.evidence) < MAX_EVIDENCE:
            c.evidence.append(Evidence(r.source, r.line, r.cited))  # evidence_of(ev)
        else:
            c.dropped_evidence += 1

    # -- finishing ----------------------------------------------------------------
    def _sweep(self, h: _Host) -> Iterator[Connection]:
        for c in list(h.live.values()):
            now = h.now
            if now is None:
                continue
            last = c.last or now
            done = c.done_at
            settle = SETTLE
            if done is not None and h.stop and self._shutdown_near(c, done):
                settle = REBOOT_WINDOW  # a boot marker may yet show the stop was a reboot
            if (
                (done is not None and now - last > settle)
                or (c.outbound and c.over and now - last > SETTLE)
                or (
                    not c.authenticated
                    and not c.outbound
                    and c.first is not None
                    and now - c.first > self._preauth_limit + SETTLE
                )
            ):
                yield self._finalize(c)
            elif c.mark is not None and not any(self._procs.get((c.host, p)) is c for p in c.pids):
                yield self._finalize(c)  # killed, and every pid of it was reused since

    def finish(self) -> Iterator[Connection]:
        """Yield every connection still held (those without an end are ``open``)."""
        # Connections without any time first; never compare a naive with an aware time.
        for c in sorted(
            self._live.values(),
            key=lambda c: (c.first is not None, c.first or _NO_TIME),
        ):
            yield self._finalize(c, at_end=True)

    def _shutdown_near(self, c: _Conn, ts: datetime | None) -> bool:
        if ts is None:
            return False
        return any(abs(s - ts) <= SHUTDOWN_WINDOW for s, _ in self._host(c.host).signals)

    def _stop_near(self, c: _Conn, ts: datetime) -> Event | None:
        """The stop line (``Received signal``) closest to ``ts`` within the shutdown
        window, if it is known."""
        near = [
            (abs(s - ts), ev)
            for s, ev in self._host(c.host).signals
            if ev is not None and abs(s - ts) <= SHUTDOWN_WINDOW
        ]
        return min(near, key=lambda t: t[0])[1] if near else None

    def _reboot_near(self, c: _Conn, ts: datetime | None) -> Event | None:
        """The reboot line (or reboot stop) within the shutdown window of ``ts``, if any."""
        if ts is None:
            return None
        for at, ev in self._host(c.host).reboots:
            if at - SHUTDOWN_WINDOW <= ts <= at + REBOOT_WINDOW:
                return ev
        return None

    def _decide(self, c: _Conn, at_end: bool) -> _Verdict:
        end = c.end_ev
        last = c.last
        if end is not None and end.family:
            decisive = end
            fam, cause = end.family, end.cause or ""
            if c.authenticated and end.postauth_family and end.postauth_cause:
                fam, cause = end.postauth_family, end.postauth_cause
            elif (
                not c.authenticated
                and c.fail_ev is not None
                and end.priority < STRONG
                and c.fail_ev.family
            ):
                decisive = c.fail_ev
                fam, cause = c.fail_ev.family, c.fail_ev.cause or ""
            at = decisive.record.ts
            finished = max(at, c.closed_at) if at is not None and c.closed_at else at or last
            return _Verdict(fam, cause, decisive, None, finished)
        if c.mark is not None:
            killed = c.closed_at or max(c.mark.at, last or c.mark.at)
            return _Verdict("server-shutdown", c.mark.cause, c.mark.ev, c.mark.note, killed)
        if c.closed_at is not None or (not at_end and c.authenticated):
            when = c.closed_at or last
            reboot = self._reboot_near(c, when)
            if reboot is not None:
                return _Verdict(
                    "server-shutdown",
                    _REBOOT if reboot.record.program == BOOT_PROGRAM else reboot.cause or _REBOOT,
                    reboot,
                    "the session closed as the host went down for a reboot",
                    when,
                )
            if when is not None and self._shutdown_near(c, when):
                # The stop line is cited after the connection's own lines (its id stays).
                return _Verdict(
                    "server-shutdown",
                    "server-shutdown/sshd-stopped",
                    self._stop_near(c, when),
                    "sshd received a signal as this session closed",
                    when,
                )
            return _Verdict(
                "unknown",
                "unknown/no-disconnect-line",
                None,
                "the session closed and no line says why",
                when,
            )
        if c.fail_ev is not None and c.fail_ev.family:
            at = c.fail_ev.record.ts
            return _Verdict(c.fail_ev.family, c.fail_ev.cause or "", c.fail_ev, None, at or last)
        h = self._host(c.host)
        stop = h.stop
        stopped = stop.record.ts if stop is not None else None
        if at_end and c.authenticated and stopped and last and stopped >= last:
            return _Verdict(
                "server-shutdown",
                "server-shutdown/sshd-stopped",
                stop,
                "sshd was stopped after this session's last line and not started again; "
                "no line shows the session ending",
                last,
            )
        quiet = h.now - last if h.now and last else timedelta(0)
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
                return _Verdict(
                    "server-limit", "server-limit/login-grace-time-silent", None, note, last
                )
            return _Verdict("unknown", "unknown/no-end-line", None, note, last)
        if at_end and not c.authenticated and stopped and last and stopped >= last:
            return _Verdict(
                "unknown",
                "unknown/no-end-line",
                None,
                "sshd was stopped before this connection authenticated, and no line says how "
                "it ended (a LoginGraceTime cut logs nothing on many builds)",
                last,
            )
        if at_end:
            return _Verdict(OPEN, OPEN, None, "still open at the end of the log", None)
        return _Verdict(
            "unknown",
            "unknown/no-end-line",
            None,
            "the connection went quiet and no line says how it ended",
            last,
        )

    def _finalize(self, c: _Conn, at_end: bool = False) -> Connection:
        self._live.pop(id(c), None)
        self._host(c.host).live.pop(id(c), None)
        for pid in c.pids:
            key = (c.host, -pid if c.outbound else pid)
            if self._procs.get(key) is c:
                del self._procs[key]
            waiting = self._awaiting_child.get(c.host)
            if waiting is not None and waiting.get(pid) is c:
                del waiting[pid]
        if c.ip and c.port and self._by_addr.get((c.host, c.ip, c.port)) is c:
            del self._by_addr[(c.host, c.ip, c.port)]
        v = self._decide(c, at_end)
        decisive = v.decisive
        evidence = list(c.evidence)
        if (
            decisive is not None
            and decisive.record.program == BOOT_PROGRAM
            or (decisive is not None and decisive.role in ("server", "host"))
        ):
            # The restart or boot line that ended it is evidence too (not one of its own).
            evidence.append(evidence_of(decisive))
        note = v.note
        if c.dropped_evidence:
            note = (note + "; " if note else "") + f"{c.dropped_evidence} more lines not shown"
        port = int(c.port) if c.port and c.port.isdigit() else None
        direction = "outbound" if c.outbound else "inbound"
        if self.stable_ids:  # as keys.stable_id computes it from the Connection
            first = evidence[0].text if evidence else ""
            conn_id = id_of(c.host, direction, first, c.ip or "", str(port or ""))
        else:
            conn_id = self._next_id
        conn = Connection(
            id=conn_id,
            host=c.host,
            client_ip=None if c.outbound else c.ip,
            client_port=port,
            user=c.user,
            authenticated=c.authenticated,
            method=c.method,
            # A start line written after other lines of its pid (clock steps, merged
            # logs, pid reuse): the connection began with its first line.
            start=c.first if c.start is None or (c.first and c.first < c.start) else c.start,
            end=v.end if v.family != OPEN else None,
            family=v.family,
            cause=v.cause,
            pattern_id=PatternId(decisive.pattern_id) if decisive and decisive.pattern_id else None,
            evidence=tuple(evidence),
            pids=tuple(c.pids),
            failures=c.failures,
            note=note,
            remote_host=c.ip if c.outbound else None,
            direction=direction,
            decisive=evidence_of(decisive) if decisive is not None else None,
        )
        self._next_id += 1
        return conn

    # -- live state as plain data -------------------------------------------------
    def export_state(self) -> SessionizerState:
        """The live state (open connections, hosts, id counter) as JSON-able plain data.

        With :meth:`restore_state` on a new Sessionizer, feeding the rest of a log gives
        the same connections as feeding it all at once (the incremental ``ingest``).
        """
        ids = {id(c): n for n, c in enumerate(self._live.values())}
        return {
            "version": STATE_VERSION,
            "next_id": self._next_id,
            "connections": [_conn_state(c) for c in self._live.values()],
            "processes": [
                [host, pid, ids[id(c)]] for (host, pid), c in self._procs.items() if id(c) in ids
            ],
            "hosts": {name: _host_state(h) for name, h in self._hosts.items()},
        }

    def restore_state(self, state: SessionizerState) -> None:
        """Continue from a state :meth:`export_state` gave; raise ValueError if it is not one."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"not a sessionizer state of version {STATE_VERSION}")
        conns = [_conn_from(s) for s in state["connections"]]
        self._live = {id(c): c for c in conns}
        self._next_id = int(state["next_id"])
        self._procs = {(str(h), int(p)): conns[int(i)] for h, p, i in state["processes"]}
        self._by_addr = {}
        self._awaiting_child = {}
        for c in conns:
            if c.ip and c.port and not c.outbound:
                self._by_addr[(c.host, c.ip, c.port)] = c
            if c.authenticated and len(c.pids) == 1 and not c.outbound:
                self._awaiting_child.setdefault(c.host, {})[c.pids[0]] = c
        self._hosts = {name: _host_from(s) for name, s in state["hosts"].items()}
        for c in conns:
            self._host(c.host).live[id(c)] = c


# -- plain-data forms of the live state ----------------------------------------------
STATE_VERSION = 1


class EventState(TypedDict):
    """An event as plain data: its record's fields and its classification."""

    record: list[Any]
    """ts (ISO 8601 or None), host, program, pid, message, source, line, repeat, stamp."""
    pattern_id: str | None
    family: str | None
    cause: str | None
    role: str | None
    priority: int
    fields: dict[str, str]
    level: str | None
    phase: str | None
    postauth: list[str | None]


class ConnState(TypedDict):
    """One open connection as plain data."""

    host: str
    ip: str | None
    port: str | None
    user: str | None
    authenticated: bool
    method: str | None
    times: list[str | None]
    """start, first, last, closed_at, ended_at (ISO 8601 or None)."""
    end_ev: EventState | None
    fail_ev: EventState | None
    failures: int
    outbound: bool
    pids: list[int]
    pid_first: list[list[Any]]
    pid_end: list[list[Any]]
    evidence: list[list[Any]]
    dropped_evidence: int
    mark: list[Any] | None
    """cause, event, time, note of the restart or reboot that may have killed it."""


class HostState(TypedDict):
    """What is known about one host's listener, as plain data."""

    now: str | None
    listener: int | None
    stop: EventState | None
    signals: list[str]
    stops: NotRequired[list[EventState | None]]
    """The stop line of each of ``signals`` (absent in a state saved before it was kept)."""
    reboots: list[list[Any]]
    fed: NotRequired[int]
    """Its lines fed so far and when its connections are next swept, so that an
    incremental run sweeps where one run over everything would (absent in a state saved
    before they were kept: counted from 0 again)."""
    next_sweep: NotRequired[int]


class SessionizerState(TypedDict):
    """Everything a Sessionizer needs to go on where it stopped (``export_state``)."""

    version: int
    next_id: int
    connections: list[ConnState]
    processes: list[list[Any]]
    """[host, pid, index into ``connections``] of every live process."""
    hosts: dict[str, HostState]


def _t(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _event_state(ev: Event | None) -> EventState | None:
    if ev is None:
        return None
    r = ev.record
    return {
        "record": [
            *(_t(r.ts), r.host, r.program, r.pid, r.message, r.source, r.line, r.repeat),
            r.stamp,
        ],
        "pattern_id": ev.pattern_id,
        "family": ev.family,
        "cause": ev.cause,
        "role": ev.role,
        "priority": ev.priority,
        "fields": dict(ev.fields),
        "level": ev.level,
        "phase": ev.phase,
        "postauth": [ev.postauth_family, ev.postauth_cause],
    }


def _event_from(s: EventState | None) -> Event | None:
    if s is None:
        return None
    # A state saved before the written stamp was kept has 8 items.
    ts, host, program, pid, message, source, line, repeat, *stamp = s["record"]
    rec = Record(
        _dt(ts), host, program, pid, message, source, line, repeat, stamp=next(iter(stamp), None)
    )
    pattern = PatternId(s["pattern_id"]) if s["pattern_id"] is not None else None
    return Event(
        rec,
        pattern,
        s["family"],
        s["cause"],
        s["role"],
        s["priority"],
        dict(s["fields"]),
        s["level"],
        s["phase"],
        s["postauth"][0],
        s["postauth"][1],
    )


def _conn_state(c: _Conn) -> ConnState:
    return {
        "host": c.host,
        "ip": c.ip,
        "port": c.port,
        "user": c.user,
        "authenticated": c.authenticated,
        "method": c.method,
        "times": [_t(c.start), _t(c.first), _t(c.last), _t(c.closed_at), _t(c.ended_at)],
        "end_ev": _event_state(c.end_ev),
        "fail_ev": _event_state(c.fail_ev),
        "failures": c.failures,
        "outbound": c.outbound,
        "pids": list(c.pids),
        "pid_first": [[p, _t(t)] for p, t in c.pid_first.items()],
        "pid_end": [[p, _t(t)] for p, t in c.pid_end.items()],
        "evidence": [[e.source, e.line, e.text] for e in c.evidence],
        "dropped_evidence": c.dropped_evidence,
        "mark": (
            [c.mark.cause, _event_state(c.mark.ev), _t(c.mark.at), c.mark.note]
            if c.mark is not None
            else None
        ),
    }


def _conn_from(s: ConnState) -> _Conn:
    start, first, last, closed_at, ended_at = (_dt(t) for t in s["times"])
    mark = None
    if s["mark"] is not None:
        cause, ev, at, note = s["mark"]
        mark_ev, mark_at = _event_from(ev), _dt(at)
        if mark_ev is not None and mark_at is not None:
            mark = _Mark(cause, mark_ev, mark_at, note)
    return _Conn(
        host=s["host"],
        ip=s["ip"],
        port=s["port"],
        user=s["user"],
        authenticated=s["authenticated"],
        method=s["method"],
        start=start,
        first=first,
        last=last,
        end_ev=_event_from(s["end_ev"]),
        fail_ev=_event_from(s["fail_ev"]),
        failures=s["failures"],
        closed_at=closed_at,
        ended_at=ended_at,
        outbound=s["outbound"],
        pids=list(s["pids"]),
        pid_first={int(p): t for p, t in ((p, _dt(t)) for p, t in s["pid_first"]) if t},
        pid_end={int(p): t for p, t in ((p, _dt(t)) for p, t in s["pid_end"]) if t},
        evidence=[Evidence(src, int(line), text) for src, line, text in s["evidence"]],
        dropped_evidence=s["dropped_evidence"],
        mark=mark,
    )


def _host_state(h: _Host) -> HostState:
    return {
        "now": _t(h.now),
        "listener": h.listener,
        "stop": _event_state(h.stop),
        "signals": [t.isoformat() for t, _ in h.signals],
        "stops": [_event_state(ev) for _, ev in h.signals],
        "reboots": [[t.isoformat(), _event_state(ev)] for t, ev in h.reboots],
        "fed": h.fed,
        "next_sweep": h.next_sweep,
    }


def _host_from(s: HostState) -> _Host:
    reboots = []
    for t, ev in s["reboots"]:
        e = _event_from(ev)
        if e is not None:
            reboots.append((datetime.fromisoformat(t), e))
    times = [datetime.fromisoformat(t) for t in s["signals"]]
    stops = s.get("stops") or []
    lines = [_event_from(ev) for ev in stops] if len(stops) == len(times) else [None] * len(times)
    return _Host(
        now=_dt(s["now"]),
        listener=s["listener"],
        stop=_event_from(s["stop"]),
        signals=list(zip(times, lines, strict=True)),
        reboots=reboots,
        fed=int(s.get("fed", 0)),
        next_sweep=int(s.get("next_sweep", SWEEP)),
    )


def sessionize(events: Iterable[Event]) -> Iterator[Connection]:
    """All connections of a stream of server events, in the order they settle."""
    s = Sessionizer()
    for ev in events:
        yield from s.feed(ev)
    yield from s.finish()
