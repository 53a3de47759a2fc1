"""Rules over many connections at once: bursts (on one host or across hosts), repeat
clients, session-length clusters, health checks and probes, password guessing, limits.
Each returns findings with the numbers the advice prints and the evidence behind them.

The rows come from ``sql/*.sql`` as typed rows; the rules here only do what SQL does
awkwardly (sliding windows over sorted times, clustering). Every number a finding puts
in its summary is also in its ``numbers``, formatted once, so the summary, the advice
title, its text and its snippet cannot disagree.
"""

from __future__ import annotations

import ipaddress
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from datetime import datetime, timedelta

from logsleuth.hostfacts import HostFacts
from logsleuth.model import Evidence, Finding
from logsleuth.rollups import (
    AuthFailureRow,
    ClientSessionsRow,
    DropRow,
    LimitDropRow,
    PasswordLoginRow,
    ProbeRow,
)
from logsleuth.sshd_config import SshdSettings, settings_for
from logsleuth.store import Store

BURST_WINDOW = timedelta(seconds=60)
BURST_MIN_CONNS = 5
BURST_MIN_CLIENTS = 3
REPEAT_MIN = 3
CLUSTER_MIN = 5
CLUSTER_SHARE = 0.4
PROBE_MIN = 5
PROBE_MIN_INTERVAL = 5.0
GUESSING_MIN_CONNS = 10
REBOOT_BEFORE = timedelta(minutes=10)
REBOOT_AFTER = timedelta(minutes=30)
DEFAULT_MAXSTARTUPS = (10, 30, 100)
#: Networks that are the admin's own; documentation ranges are treated as public.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def _ev(e: Evidence | None) -> tuple[Evidence, ...]:
    return (e,) if e else ()


def human(seconds: float) -> str:
    """A duration as people read it: ``45s``, ``15m02s``, ``4h00m``, ``2d03h``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def plural(n: int, word: str) -> str:
    """``1 connection``, ``2 connections``, ``3 addresses``."""
    if n == 1:
        return f"1 {word}"
    return f"{n} {word}es" if word.endswith(("s", "sh", "ch")) else f"{n} {word}s"


def when(ts: datetime) -> str:
    """A moment as the advice prints it (UTC, said so)."""
    return f"{ts:%Y-%m-%d %H:%M:%S} UTC"


def is_private(ip: str | None) -> bool:
    """An address of the admin's own networks (RFC 1918, ULA, loopback, link-local)."""
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(addr in net for net in _PRIVATE if net.version == addr.version)


def client_group(ip: str | None) -> str:
    """The network a client address belongs to for repeat detection (/24, /64)."""
    if not ip:
        return "?"
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _windows(rows: Sequence[DropRow]) -> list[Sequence[DropRow]]:
    """Maximal runs of drops (sorted by end) that fit in BURST_WINDOW, greedily."""
    out: list[Sequence[DropRow]] = []
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1].end - rows[i].end <= BURST_WINDOW:
            j += 1
        out.append(rows[i : j + 1])
        i = j + 1
    return out


def shared_paths(rows: Sequence[DropRow]) -> list[Finding]:
    """The same clients losing sessions on several servers at one moment: their side."""
    out = []
    for window in _windows(sorted(rows, key=lambda r: (r.end, r.id))):
        hosts_of: dict[str, set[str]] = defaultdict(set)
        for r in window:
            if r.client_ip:
                hosts_of[client_group(r.client_ip)].add(r.host)
        shared = {net for net, hs in hosts_of.items() if len(hs) >= 2}
        hosts = sorted({r.host for r in window})
        clients = {r.client_ip for r in window}
        if len(hosts) < 2 or not shared or len(window) < BURST_MIN_CONNS:
            continue
        start, end = window[0].end, window[-1].end
        out.append(
            Finding(
                "shared-path",
                hosts[0],
                f"{len(window)} sessions from {len(clients)} clients on {', '.join(hosts)} "
                f"ended within {human((end - start).total_seconds())} at {when(start)}; "
                f"{', '.join(sorted(shared))} lost sessions on several of them",
                {
                    "count": len(window),
                    "clients": plural(len(clients), "client"),
                    "hosts": ", ".join(hosts),
                    "host_count": len(hosts),
                    "at": when(start),
                    "span": human((end - start).total_seconds()),
                },
                tuple(e for r in window[:3] for e in _ev(r.decisive)),
                tuple(r.id for r in window),
                tuple(hosts),
            )
        )
    return out


def bursts(rows: Sequence[DropRow]) -> list[Finding]:
    """Many sessions of many clients dying within one minute: a server-side or upstream event."""
    by_host: dict[str, list[DropRow]] = defaultdict(list)
    for r in rows:
        by_host[r.host].append(r)
    out = []
    for host, rs in by_host.items():
        i = 0
        while i < len(rs):
            j = i
            while j + 1 < len(rs) and rs[j + 1].end - rs[i].end <= BURST_WINDOW:
                j += 1
            window = rs[i : j + 1]
            clients = {r.client_ip for r in window}
            if len(window) >= BURST_MIN_CONNS and len(clients) >= BURST_MIN_CLIENTS:
                start, end = window[0].end, window[-1].end
                span = human((end - start).total_seconds())
                out.append(
                    Finding(
                        "burst",
                        host,
                        f"{len(window)} sessions from {len(clients)} clients ended within "
                        f"{span} at {when(start)}: a server-side or upstream network event, "
                        "not the clients",
                        {
                            "count": len(window),
                            "clients": len(clients),
                            "at": when(start),
                            "until": when(end + timedelta(minutes=5)),
                            "span": span,
                        },
                        tuple(e for r in window[:3] for e in _ev(r.decisive)),
                        tuple(r.id for r in window),
                    )
                )
                i = j + 1
            else:
                i += 1
    return out


def repeat_clients(
    rows: Sequence[DropRow], sessions: Sequence[ClientSessionsRow], in_burst: Set[int]
) -> list[Finding]:
    """One client network whose sessions die again and again, at different times."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for s in sessions:
        t = totals[(s.host, client_group(s.client_ip))]
        t[0] += s.sessions
        t[1] += s.dropped
    groups: dict[tuple[str, str], list[DropRow]] = defaultdict(list)
    for r in rows:
        if r.id not in in_burst and r.authenticated:
            groups[(r.host, client_group(r.client_ip))].append(r)
    out = []
    for (host, net), rs in sorted(groups.items()):
        moments = {int(r.end.timestamp() // 600) for r in rs}
        total, dropped = totals.get((host, net), [len(rs), len(rs)])
        if len(rs) >= REPEAT_MIN and len(moments) >= REPEAT_MIN and dropped * 2 >= total:
            causes = sorted({r.cause for r in rs})
            out.append(
                Finding(
                    "repeat-client",
                    host,
                    f"{len(rs)} of {total} sessions from {net} died ({', '.join(causes)}) at "
                    f"{len(moments)} different times: that client's path or NAT",
                    {
                        "network": net,
                        "count": len(rs),
                        "sessions": total,
                        "times": len(moments),
                        "clients": len({r.client_ip for r in rs}),
                    },
                    tuple(e for r in rs[:3] for e in _ev(r.decisive)),
                    tuple(r.id for r in rs),
                )
            )
    return out


def _densest(values: list[float]) -> tuple[int, int]:
    """Indices [i, j] of the densest run of sorted values within a relative tolerance."""
    best = (0, 0)
    j = 0
    for i, v in enumerate(values):
        j = max(j, i)
        tol = max(5.0, 0.01 * v)
        while j + 1 < len(values) and values[j + 1] - v <= tol:
            j += 1
        if j - i > best[1] - best[0]:
            best = (i, j)
    return best


def idle_limits(
    rows: Sequence[DropRow], configs: Mapping[str, SshdSettings] | None = None
) -> list[Finding]:
    """Session lengths that cluster at one value, on each host: a middlebox idle limit."""
    by_host: dict[str, list[DropRow]] = defaultdict(list)
    for r in rows:
        if r.authenticated and r.duration_s is not None and r.duration_s > 0:
            by_host[r.host].append(r)
    out = []
    for host, rs in sorted(by_host.items()):
        rs.sort(key=lambda r: r.duration_s or 0.0)
        durations = [float(r.duration_s or 0.0) for r in rs]
        i, j = _densest(durations)
        n = j - i + 1
        if n < CLUSTER_MIN or n < CLUSTER_SHARE * len(durations):
            continue
        cluster = durations[i : j + 1]
        center = statistics.median(cluster)
        spread = max(center - cluster[0], cluster[-1] - center)
        settings = settings_for(configs or {}, host)
        silence = settings.silence_window if settings else None
        all_keepalive = all(r.family == "keepalive-timeout" for r in rs[i : j + 1])
        limit = center - silence if silence and all_keepalive else center
        # An estimate, not a measurement: report it to the nearest 5 s.
        limit = max(5.0, round(limit / 5) * 5)
        keepalive = max(10, min(300, int(limit // 2 // 10 * 10)))
        numbers: dict[str, object] = {
            "limit_s": round(limit),
            "limit": human(limit),
            "center": human(center),
            "spread": human(spread),
            "count": n,
            "of": len(durations),
            "keepalive_s": keepalive,
            "keepalive": human(keepalive),
        }
        out.append(
            Finding(
                "idle-limit",
                host,
                f"{n} of {len(durations)} dropped sessions lasted {human(center)} "
                f"(± {human(spread)}): something on the path cuts flows idle for about "
                f"{human(limit)}",
                numbers,
                tuple(e for r in rs[i : i + 3] for e in _ev(r.decisive)),
                tuple(r.id for r in rs[i : j + 1]),
            )
        )
    return out


def health_checks(
    probes: Sequence[ProbeRow], attackers: Set[tuple[str, str]] = frozenset()
) -> list[Finding]:
    """Pre-auth closes from one address at a regular interval: a monitor or a probe.

    An address that also failed to authenticate is not a monitor, and a gap under
    PROBE_MIN_INTERVAL seconds is a tool hammering the port, not a check. Whether it is
    the admin's own (a private address) decides the advice (``private``).
    """
    out = []
    for p in probes:
        if len(p.starts) < PROBE_MIN or (p.host, p.client_ip) in attackers:
            continue
        gaps = [(b - a).total_seconds() for a, b in zip(p.starts, p.starts[1:], strict=False)]
        med = statistics.median(gaps)
        if med < PROBE_MIN_INTERVAL:
            continue
        regular = sum(1 for g in gaps if abs(g - med) <= max(1.0, 0.1 * med))
        if regular >= 0.8 * len(gaps):
            private = is_private(p.client_ip)
            kind = "a health check or port monitor" if private else "a monitor or a scanner"
            out.append(
                Finding(
                    "health-check",
                    p.host,
                    f"{p.client_ip} opens and closes a connection every {human(med)} without "
                    f"authenticating ({len(p.starts)} times): {kind}",
                    {
                        "ip": p.client_ip,
                        "interval": human(med),
                        "count": len(p.starts),
                        "private": private,
                    },
                    _ev(p.evidence),
                    tuple(p.ids),
                )
            )
    return out


def password_guessing(
    rows: Sequence[AuthFailureRow], password_hosts: Set[str] = frozenset()
) -> list[Finding]:
    """Failed authentication on every host, grouped into one finding: internet noise."""
    if sum(r.connections for r in rows) < GUESSING_MIN_CONNS:
        return []
    by_ip: dict[str, int] = defaultdict(int)
    for r in rows:
        by_ip[r.client_ip] += r.connections
    hosts = sorted({r.host for r in rows})
    conns = sum(r.connections for r in rows)
    attempts = sum(r.attempts for r in rows)
    top = sorted(by_ip.items(), key=lambda t: (-t[1], t[0]))[:3]
    top_text = ", ".join(f"{ip} ({plural(n, 'connection')})" for ip, n in top)
    first = max(rows, key=lambda r: (r.connections, r.client_ip))
    return [
        Finding(
            "password-guessing",
            hosts[0],
            f"{plural(len(by_ip), 'address')} failed to authenticate {attempts} times over "
            f"{plural(conns, 'connection')} on {', '.join(hosts)}",
            {
                "addresses": plural(len(by_ip), "address"),
                "host_count": plural(len(hosts), "host"),
                "hosts": ", ".join(hosts),
                # "on hermes" for one host, "on 4 hosts (a, b, c, d)" for several
                "on": hosts[0] if len(hosts) == 1 else plural(len(hosts), "host"),
                "on_named": hosts[0]
                if len(hosts) == 1
                else f"{plural(len(hosts), 'host')} ({', '.join(hosts)})",
                "connections": plural(conns, "connection"),
                "attempts": attempts,
                "tries": plural(attempts, "time"),
                "count": conns,
                "top": top_text,
                "password_logins": bool(password_hosts & set(hosts)),
                "password_hosts": ", ".join(sorted(password_hosts & set(hosts))) or "none",
            },
            _ev(first.evidence),
            (),
            tuple(hosts),
        )
    ]


def _maxstartups(value: str) -> tuple[int, int, int]:
    parts = [int(p) for p in value.split(":") if p.isdigit()]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 1:
        return parts[0], 100, parts[0]  # a single number: a hard limit
    return DEFAULT_MAXSTARTUPS


def _reboot_near(
    facts: HostFacts | None, first: datetime | None, last: datetime | None
) -> datetime | None:
    if facts is None or first is None:
        return None
    lo, hi = first - REBOOT_BEFORE, (last or first) + REBOOT_AFTER
    for at, _ in facts.reboots:
        if lo <= at <= hi:
            return at
    return None


def limits(
    rows: Sequence[LimitDropRow],
    facts: Mapping[str, HostFacts],
    configs: Mapping[str, SshdSettings] | None = None,
) -> list[Finding]:
    """Server limits that refused or cut connections, with sshd's own counts."""
    out = []
    for r in rows:
        f = facts.get(r.host)
        settings = settings_for(configs or {}, r.host)
        top = ", ".join(r.top)
        numbers: dict[str, object] = {
            "cause": r.cause,
            "count": r.n,
            "connections": plural(r.n, "connection"),
            "sessions": plural(r.n, "session"),
            "addresses": plural(r.ips, "address"),
            "top": top or "no address logged",
        }
        grace = settings.login_grace_time if settings else 120
        new_grace = max(10, min(30, grace // 2))
        numbers.update(grace=human(grace), grace_s=new_grace, new_grace=human(new_grace))
        summary = f"{plural(r.n, 'connection')} from {plural(r.ips, 'address')}: {r.cause}"
        evidence = _ev(r.evidence)
        if r.cause.startswith("server-limit/maxstartups"):
            configured = settings.value("MaxStartups") if settings else None
            start0, rate, full0 = _maxstartups(configured or "")
            refused = f.refused(r.n) if f else r.n
            peak = f.drop_peak if f and f.drop_peak else start0
            peak_at = f.drop_peak_at if f and f.drop_peak_at else r.first
            start = max(math.ceil(peak * 1.5), start0 + 1, DEFAULT_MAXSTARTUPS[0] + 1)
            full = max(full0, 2 * start, DEFAULT_MAXSTARTUPS[2])
            numbers.update(
                refused=plural(refused, "connection"),
                count=refused,
                peak=peak,
                peak_at=when(peak_at) if peak_at else "the drops",
                configured=configured or "10:30:100 (the default)",
                start=start,
                rate=rate,
                full=full,
            )
            summary = (
                f"{plural(refused, 'connection')} from {plural(r.ips, 'address')} refused by "
                f"MaxStartups; sshd counted {peak} unauthenticated connections at "
                f"{numbers['peak_at']}"
            )
            if f and f.drop_peak_evidence:
                evidence = tuple(dict.fromkeys((f.drop_peak_evidence, *evidence)))[:2]
        reboot = _reboot_near(f, r.first, r.last)
        if r.cause.startswith("server-shutdown/") and (reboot or "reboot" in r.cause):
            at = reboot or r.first
            numbers.update(reboot=True, at=f"{at:%Y-%m-%d %H:%M} UTC" if at else "an unknown time")
            summary += f"; the host was rebooted at {numbers['at']}"
            if f and reboot:
                evidence = (
                    *evidence,
                    *(e for t, e in f.reboots if t.replace(tzinfo=None) == reboot),
                )
        out.append(Finding("limit", r.host, summary, numbers, evidence[:3]))
    return out


def silence_windows(
    rows: Sequence[DropRow], configs: Mapping[str, SshdSettings] | None = None
) -> list[Finding]:
    """Keepalive timeouts turned into how long the client had been silent, per host."""
    hits: dict[str, list[DropRow]] = defaultdict(list)
    for r in rows:
        if r.family == "keepalive-timeout":
            hits[r.host].append(r)
    out = []
    for host, rs in sorted(hits.items()):
        settings = settings_for(configs or {}, host)
        if settings is None or settings.silence_window is None:
            continue
        w = settings.silence_window
        longer = settings.client_alive_count_max * 2
        out.append(
            Finding(
                "silence-window",
                host,
                f"{plural(len(rs), 'session')} ended after {settings.client_alive_interval} s x "
                f"{settings.client_alive_count_max} unanswered probes: each client had been "
                f"silent for at least {human(w)} when sshd dropped it",
                {
                    "window": human(w),
                    "interval_s": settings.client_alive_interval,
                    "count_max": settings.client_alive_count_max,
                    "count": len(rs),
                    "longer_count_max": longer,
                    "longer_window": human(settings.client_alive_interval * longer),
                },
                tuple(e for r in rs[:2] for e in _ev(r.decisive)),
                tuple(r.id for r in rs),
            )
        )
    return out


RULE_ORDER = (
    "shared-path",
    "burst",
    "repeat-client",
    "idle-limit",
    "silence-window",
    "limit",
    "health-check",
    "password-guessing",
)


def diagnose(
    store: Store,
    configs: Mapping[str, SshdSettings] | None = None,
    facts: Mapping[str, HostFacts] | None = None,
) -> list[Finding]:
    """Run every rule over a filled store (``configs``: sshd settings per host, ``*`` for all)."""
    facts = facts or {}
    drops = store.query_as("drops", DropRow)
    found = shared_paths(drops)
    shared = {cid for f in found for cid in f.connection_ids}
    found += bursts([r for r in drops if r.id not in shared])
    in_burst = shared | {cid for f in found for cid in f.connection_ids}
    found += repeat_clients(drops, store.query_as("client_sessions", ClientSessionsRow), in_burst)
    found += idle_limits([r for r in drops if r.id not in in_burst], configs)
    found += silence_windows(drops, configs)
    failures = store.query_as("auth_failures", AuthFailureRow)
    found += health_checks(
        store.query_as("probes", ProbeRow, [PROBE_MIN]),
        {(r.host, r.client_ip) for r in failures},
    )
    password_hosts = {r.host for r in store.query_as("password_logins", PasswordLoginRow)}
    found += password_guessing(failures, password_hosts)
    found += limits(store.query_as("limit_drops", LimitDropRow), facts, configs)
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    return sorted(found, key=lambda f: (f.host, order.get(f.rule, 99)))
