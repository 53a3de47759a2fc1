"""Real-world invariants of reconstructed connections, checked over real logs.

Each check states something no correct reconstruction of a real sshd log can violate,
whatever the OpenSSH version: a connection has one client address, at most four sshd
processes (listener aside: monitor, net/auth child, user child), an unauthenticated
connection cannot outlive LoginGraceTime by an hour, one process is one connection,
nobody fails to log in after having logged in, and nothing lasts a month.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from logsleuth import catalogue
from logsleuth.model import Connection, Evidence

#: The kinds of violation, in table order, with what each means.
KINDS: dict[str, str] = {
    "addr": "evidence names a client address other than the connection's own",
    "pids>4": "more than 4 sshd pids in one connection",
    "unauth>1h": "an unauthenticated connection lasting more than an hour",
    "pid<10m": "a (non-listener) pid in two connections less than 10 minutes apart",
    "fail-after-login": "Invalid user / Failed ... after a login in the same connection",
    ">30d": "a connection lasting more than 30 days",
}
MAX_PIDS = 4
UNAUTH_MAX = timedelta(hours=1)
PID_GAP = timedelta(minutes=10)
LONGEST = timedelta(days=30)
_CAT = catalogue.load()


@dataclass
class FileResult:
    """The invariant check of one file."""

    name: str
    connections: int = 0
    pids: int = 0
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def count(self, kind: str) -> int:
        return len(self.violations.get(kind, ()))

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.violations.values())


@dataclass(frozen=True)
class _Line:
    ts: datetime | None
    pid: int | None
    pattern: str | None
    role: str | None
    fields: dict[str, str]


def _norm_ip(text: str | None) -> str | None:
    """The address as an IP literal (IPv4-mapped IPv6 unwrapped); None for host names."""
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped or addr)


def _parse(ev: Evidence) -> _Line:
    """An evidence line's time, pid and catalogue reading (the text is `stamp host prog: msg`)."""
    stamp, _, rest = ev.text.partition(" ")
    _, _, rest = rest.partition(" ")
    prog, _, msg = rest.partition(": ")
    pid = None
    if prog.endswith("]") and "[" in prog:
        num = prog[prog.rindex("[") + 1 : -1]
        pid = int(num) if num.isdigit() else None
    try:
        ts = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp != "-" else None
    except ValueError:
        ts = None
    _, body, _ = catalogue.split_envelope(msg)
    hit = _CAT.match(body, "server")
    if hit is None:
        return _Line(ts, pid, None, None, {})
    return _Line(ts, pid, hit[0].id, hit[0].role, hit[1])


def _span(c: Connection, lines: Sequence[_Line]) -> tuple[datetime, datetime] | None:
    times = [t for t in (c.start, c.end, *(ln.ts for ln in lines)) if t is not None]
    return (min(times), max(times)) if times else None


def check(name: str, connections: Iterable[Connection], listener_pids: set[int]) -> FileResult:
    """Every invariant over one file's connections (inbound ones; client lines are apart)."""
    res = FileResult(name)
    spans: dict[tuple[str, int], list[tuple[datetime, datetime, int]]] = defaultdict(list)
    all_pids: set[tuple[str, int]] = set()
    for c in connections:
        if c.direction != "inbound":
            continue
        res.connections += 1
        lines = [_parse(e) for e in c.evidence]
        own = _norm_ip(c.client_ip)
        where = f"#{c.id} {c.client_ip} {c.start:%Y-%m-%d %H:%M:%S}" if c.start else f"#{c.id}"
        for ln, ev in zip(lines, c.evidence, strict=True):
            ip = _norm_ip(ln.fields.get("ip"))
            if ip is None or ip == own:
                continue
            # 9.8's listener names the local address first in its LoginGraceTime line.
            if ln.role == "pid-end" and own in (None, _norm_ip(ln.fields.get("lip"))):
                continue
            res.violations["addr"].append(f"{where}: {ev.text}")
        pids = set(c.pids) - listener_pids
        all_pids.update((c.host, p) for p in pids)
        if len(pids) > MAX_PIDS:
            res.violations["pids>4"].append(f"{where}: pids {sorted(pids)}")
        span = _span(c, lines)
        if span is not None:
            length = span[1] - span[0]
            if not c.authenticated and length > UNAUTH_MAX:
                res.violations["unauth>1h"].append(f"{where}: {length}")
            if length > LONGEST:
                res.violations[">30d"].append(f"{where}: {length}")
            for p in pids:
                spans[(c.host, p)].append((span[0], span[1], c.id))
        logged_in = False
        for ln, ev in zip(lines, c.evidence, strict=True):
            if ln.role == "auth-ok":
                logged_in = True
            elif logged_in and ln.pattern in _FAIL_AFTER_LOGIN:
                res.violations["fail-after-login"].append(f"{where}: {ev.text}")
                break
    res.pids = len(all_pids)
    for (_, pid), seen in spans.items():
        seen.sort()
        for (_, end_a, id_a), (start_b, _, id_b) in zip(seen, seen[1:], strict=False):
            if start_b - end_a < PID_GAP:
                res.violations["pid<10m"].append(
                    f"pid {pid} in #{id_a} and #{id_b} ({start_b - end_a} apart)"
                )
    return res


#: `Invalid user ...` and `Failed <method> ...`: what no logged-in connection logs again.
_FAIL_AFTER_LOGIN = frozenset(
    p.id for p in _CAT if p.side == "server" and p.cause == "auth-failure/invalid-user"
) | frozenset(p.id for p in _CAT if p.side == "server" and p.regex.startswith("^Failed "))


def table(results: Sequence[FileResult]) -> list[str]:
    """The per-file table: connections, pids and violations by kind."""
    kinds = list(KINDS)
    width = max([len(r.name) for r in results] + [4])
    head = f"{'file':<{width}} {'conns':>6} {'pids':>6} " + " ".join(f"{k:>9}" for k in kinds)
    out = [head, "-" * len(head)]
    for r in results:
        cells = " ".join(f"{r.count(k):>9}" for k in kinds)
        out.append(f"{r.name:<{width}} {r.connections:>6} {r.pids:>6} {cells}")
    tot = " ".join(f"{sum(r.count(k) for r in results):>9}" for k in kinds)
    out.append(
        f"{'total':<{width}} {sum(r.connections for r in results):>6} "
        f"{sum(r.pids for r in results):>6} {tot}"
    )
    return out
