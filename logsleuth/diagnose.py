"""Rules over many connections at once: bursts, repeat clients, session-length clusters,
health checks, brute force, limits. Each returns findings with the numbers and evidence.

The rows come from ``sql/*.sql``; the rules here only do what SQL does awkwardly
(sliding windows over sorted times, clustering).
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence, Set
from datetime import datetime, timedelta
from typing import Any

from logsleuth.model import Evidence, Finding
from logsleuth.sshd_config import SshdSettings
from logsleuth.store import Store

BURST_WINDOW = timedelta(seconds=60)
BURST_MIN_CONNS = 5
BURST_MIN_CLIENTS = 3
REPEAT_MIN = 3
CLUSTER_MIN = 5
CLUSTER_SHARE = 0.4
PROBE_MIN = 5
PROBE_MIN_INTERVAL = 5.0
BRUTE_MIN_CONNS = 10


def _ev(raw: dict[str, Any] | None) -> tuple[Evidence, ...]:
    return (Evidence(raw["source"], raw["line"], raw["text"]),) if raw else ()


def fmt_seconds(seconds: float) -> str:
    """90 -> '1 min 30 s', 900 -> '15 min', 7200 -> '2 h'."""
    s = int(round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        m, r = divmod(s, 60)
        return f"{m} min" + (f" {r} s" if r else "")
    h, r = divmod(s, 3600)
    return f"{h} h" + (f" {r // 60} min" if r // 60 else "")


def plural(n: int, word: str) -> str:
    """``1 connection``, ``2 connections``, ``3 addresses``."""
    if n == 1:
        return f"1 {word}"
    return f"{n} {word}es" if word.endswith(("s", "sh", "ch")) else f"{n} {word}s"


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


def bursts(rows: Sequence[tuple[Any, ...]]) -> list[Finding]:
    """Many sessions of many clients dying within one minute: a server-side or upstream event."""
    by_host: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_host[r[1]].append(r)
    out = []
    for host, rs in by_host.items():
        i = 0
        while i < len(rs):
            j = i
            while j + 1 < len(rs) and rs[j + 1][6] - rs[i][6] <= BURST_WINDOW:
                j += 1
            window = rs[i : j + 1]
            clients = {r[2] for r in window}
            if len(window) >= BURST_MIN_CONNS and len(clients) >= BURST_MIN_CLIENTS:
                start, end = window[0][6], window[-1][6]
                out.append(
                    Finding(
                        "burst",
                        host,
                        f"{len(window)} sessions from {len(clients)} clients ended within "
                        f"{fmt_seconds((end - start).total_seconds())} "
                        f"at {start:%Y-%m-%d %H:%M:%S} UTC: "
                        "a server-side or upstream network event, not the clients",
                        {
                            "count": len(window),
                            "clients": len(clients),
                            "at": start,
                            "until": end + timedelta(minutes=5),
                            "span_s": (end - start).total_seconds(),
                        },
                        tuple(e for r in window[:3] for e in _ev(r[10])),
                        tuple(r[0] for r in window),
                    )
                )
                i = j + 1
            else:
                i += 1
    return out


def repeat_clients(
    rows: Sequence[tuple[Any, ...]], sessions: Sequence[tuple[Any, ...]], in_burst: set[int]
) -> list[Finding]:
    """One client network whose sessions die again and again, at different times."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for host, ip, n, dropped in sessions:
        t = totals[(host, client_group(ip))]
        t[0] += n
        t[1] += dropped
    groups: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        if r[0] not in in_burst and r[4]:
            groups[(r[1], client_group(r[2]))].append(r)
    out = []
    for (host, net), rs in sorted(groups.items()):
        moments = {int(r[6].timestamp() // 600) for r in rs}
        total, dropped = totals.get((host, net), [len(rs), len(rs)])
        if len(rs) >= REPEAT_MIN and len(moments) >= REPEAT_MIN and dropped * 2 >= total:
            causes = sorted({r[9] for r in rs})
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
                        "clients": len({r[2] for r in rs}),
                    },
                    tuple(e for r in rs[:3] for e in _ev(r[10])),
                    tuple(r[0] for r in rs),
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


def idle_limits(rows: Sequence[tuple[Any, ...]], settings: SshdSettings | None) -> list[Finding]:
    """Session lengths that cluster at one value: a middlebox idle or session limit."""
    by_host: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        if r[4] and r[7] is not None and r[7] > 0:
            by_host[r[1]].append(r)
    out = []
    for host, rs in by_host.items():
        rs.sort(key=lambda r: r[7])
        durations = [float(r[7]) for r in rs]
        i, j = _densest(durations)
        n = j - i + 1
        if n < CLUSTER_MIN or n < CLUSTER_SHARE * len(durations):
            continue
        cluster = durations[i : j + 1]
        center = statistics.median(cluster)
        spread = max(center - cluster[0], cluster[-1] - center)
        silence = settings.silence_window if settings else None
        limit = (
            center - silence
            if silence and all(r[9].startswith("keepalive-timeout") for r in rs[i : j + 1])
            else center
        )
        # An estimate, not a measurement: report it to the nearest 5 s.
        limit = max(5.0, round(limit / 5) * 5)
        out.append(
            Finding(
                "idle-limit",
                host,
                f"{n} of {len(durations)} dropped sessions lasted {fmt_seconds(center)} ± "
                f"{spread:.0f} s: something on the path cuts flows after about "
                f"{fmt_seconds(limit)}",
                {
                    "limit_s": round(limit),
                    "center_s": round(center, 1),
                    "spread_s": round(spread, 1),
                    "count": n,
                    "of": len(durations),
                    "keepalive_s": max(10, min(300, int(limit // 2 // 10 * 10))),
                },
                tuple(e for r in rs[i : i + 3] for e in _ev(r[10])),
                tuple(r[0] for r in rs[i : j + 1]),
            )
        )
    return out


def health_checks(
    probes: Sequence[tuple[Any, ...]], attackers: Set[tuple[str, str]] = frozenset()
) -> list[Finding]:
    """Pre-auth closes from one address at a regular interval: a monitor, not an attacker.

    An address that also failed to authenticate is not a monitor, and a gap under
    PROBE_MIN_INTERVAL seconds is a tool hammering the port, not a check.
    """
    out = []
    for host, ip, starts, ids, evidence in probes:
        if len(starts) < PROBE_MIN or (host, ip) in attackers:
            continue
        gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
        med = statistics.median(gaps)
        if med < PROBE_MIN_INTERVAL:
            continue
        regular = sum(1 for g in gaps if abs(g - med) <= max(1.0, 0.1 * med))
        if regular >= 0.8 * len(gaps):
            out.append(
                Finding(
                    "health-check",
                    host,
                    f"{ip} opens and closes a connection every {fmt_seconds(med)} without "
                    f"authenticating ({len(starts)} times): a health check or port monitor",
                    {"ip": ip, "interval_s": med, "count": len(starts)},
                    _ev(evidence),
                    tuple(ids),
                )
            )
    return out


def brute_force(rows: Sequence[tuple[Any, ...]]) -> list[Finding]:
    """Floods of failed authentication: per source, and spread over many sources."""
    out = []
    by_host: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_host[r[0]].append(r)
    for host, rs in by_host.items():
        heavy = [r for r in rs if r[2] >= BRUTE_MIN_CONNS]
        for _, ip, conns, attempts, users, first, last, ev in heavy[:5]:
            out.append(
                Finding(
                    "brute-force",
                    host,
                    f"{ip} failed to authenticate on {conns} connections ({attempts} attempts, "
                    f"{users} user names) between {first:%m-%d %H:%M} and {last:%m-%d %H:%M}",
                    {"ip": ip, "connections": conns, "attempts": attempts, "users": users},
                    _ev(ev),
                )
            )
        light = [r for r in rs if r[2] < BRUTE_MIN_CONNS]
        if len(light) >= 20:
            out.append(
                Finding(
                    "scanning",
                    host,
                    f"{len(light)} other addresses failed to authenticate a few times each: "
                    "background scanning",
                    {"addresses": len(light), "connections": sum(r[2] for r in light)},
                    _ev(light[0][7]),
                )
            )
    return out


def limits(
    rows: Sequence[tuple[Any, ...]],
    peaks: dict[str, tuple[int, datetime]],
    settings: SshdSettings | None,
) -> list[Finding]:
    """Server limits that refused or cut connections, with the peak that hit them."""
    out = []
    for host, cause, n, ips, _first, _last, ev in rows:
        numbers: dict[str, object] = {
            "cause": cause,
            "count": n,
            "clients": ips,
            "connections": plural(n, "connection"),
            "sessions": plural(n, "session"),
            "addresses": plural(ips, "address"),
        }
        summary = f"{plural(n, 'connection')} from {plural(ips, 'address')}: {cause}"
        if cause.startswith("server-limit/maxstartups") and host in peaks:
            peak, at = peaks[host]
            numbers.update(peak=peak, at=at, start=max(10, (peak * 3 + 1) // 2))
            summary += (
                f"; up to {peak} unauthenticated connections were open at once ({at:%m-%d %H:%M})"
            )
        if settings and settings.source:
            numbers.update(
                login_grace_time=settings.login_grace_time, max_startups=settings.max_startups
            )
        out.append(Finding("limit", host, summary, numbers, _ev(ev)))
    return out


def silence_windows(
    rows: Sequence[tuple[Any, ...]], settings: SshdSettings | None
) -> list[Finding]:
    """Keepalive timeouts turned into how long the client had been silent."""
    if settings is None or settings.silence_window is None:
        return []
    hits: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        if r[8] == "keepalive-timeout":
            hits[r[1]].append(r)
    w = settings.silence_window
    return [
        Finding(
            "silence-window",
            host,
            f"{len(rs)} sessions ended after {settings.client_alive_interval} s x "
            f"{settings.client_alive_count_max} unanswered probes: each client had been silent "
            f"for at least {fmt_seconds(w)} when sshd dropped it",
            {
                "window_s": w,
                "interval_s": settings.client_alive_interval,
                "count_max": settings.client_alive_count_max,
                "count": len(rs),
            },
            tuple(e for r in rs[:2] for e in _ev(r[10])),
            tuple(r[0] for r in rs),
        )
        for host, rs in hits.items()
    ]


def diagnose(store: Store, settings: SshdSettings | None = None) -> list[Finding]:
    """Run every rule over a filled store."""
    drops = store.query("drops")
    found = bursts(drops)
    in_burst = {cid for f in found for cid in f.connection_ids}
    found += repeat_clients(drops, store.query("client_sessions"), in_burst)
    found += idle_limits([r for r in drops if r[0] not in in_burst], settings)
    found += silence_windows(drops, settings)
    failures = store.query("auth_failures")
    found += health_checks(store.query("probes"), {(r[0], r[1]) for r in failures})
    found += brute_force(failures)
    peaks = {h: (p, at) for h, p, at in store.query("unauth_peak") if p}
    found += limits(store.query("limit_drops"), peaks, settings)
    order: dict[str, int] = {r: i for i, r in enumerate(RULES)}
    return sorted(found, key=lambda f: (f.host, order.get(f.rule, 99)))


RULES: dict[str, Callable[..., list[Finding]]] = {
    "burst": bursts,
    "repeat-client": repeat_clients,
    "idle-limit": idle_limits,
    "silence-window": silence_windows,
    "health-check": health_checks,
    "brute-force": brute_force,
    "scanning": brute_force,
    "limit": limits,
}
