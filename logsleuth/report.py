"""Store -> report model: per-host rollups from the SQL files, plus every connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from logsleuth.advice import advise
from logsleuth.diagnose import diagnose
from logsleuth.families import ABNORMAL
from logsleuth.model import CauseCount, Connection, Evidence, HostReport, Report
from logsleuth.sshd_config import SshdSettings
from logsleuth.store import Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _evidence(raw: dict[str, Any] | None) -> Evidence | None:
    return Evidence(raw["source"], raw["line"], raw["text"]) if raw else None


def _durations(store: Store) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for host, fam, n, med, p90, mx in store.query("durations"):
        out[host][fam] = {
            "count": n,
            "median_s": round(med, 3),
            "p90_s": round(p90, 3),
            "max_s": round(mx, 3),
        }
    return out


def _timelines(store: Store) -> dict[str, dict[str, list[tuple[str, int]]]]:
    out: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for host, fam, hour, n in store.query("timeline"):
        out[host][fam].append((hour.strftime("%Y-%m-%dT%H:00Z"), n))
    return out


def _order(c: Connection) -> tuple[str, str, bool, datetime, int]:
    """The order of ``sql/connections.sql``: host, direction, start (unknown first), id."""
    start = c.start or _EPOCH
    return (c.host, c.direction, c.start is not None, start, c.id)


def build_report(
    store: Store,
    settings: SshdSettings | None = None,
    connections: Sequence[Connection] | None = None,
) -> Report:
    """Build the report model from a filled store.

    ``connections``: the connections already in memory (as the pipeline holds them);
    when None they are read back from the store.
    """
    tops: dict[str, dict[tuple[str, str, str], list[tuple[str, int]]]] = {
        "ip": defaultdict(list),
        "user": defaultdict(list),
    }
    for host, fam, cause, ip, n in store.query("top_ips"):
        tops["ip"][(host, fam, cause)].append((ip, n))
    for host, fam, cause, user, n in store.query("top_users"):
        tops["user"][(host, fam, cause)].append((user, n))
    causes: dict[str, list[CauseCount]] = defaultdict(list)
    outbound: dict[str, list[CauseCount]] = defaultdict(list)
    for host, direction, fam, cause, n, pattern_id, ev in store.query("by_cause"):
        cc = CauseCount(
            fam,
            cause,
            n,
            pattern_id,
            _evidence(ev),
            tuple(tops["ip"].get((host, fam, cause), ())),
            tuple(tops["user"].get((host, fam, cause), ())),
        )
        (causes if direction == "inbound" else outbound)[host].append(cc)
    hosts = []
    durations = _durations(store)
    timelines = _timelines(store)
    for host, n, auth, n_out in store.query("by_host"):
        families: dict[str, int] = defaultdict(int)
        for cc in causes.get(host, ()):
            families[cc.family] += cc.count
        abnormal = sum(v for f, v in families.items() if f in ABNORMAL)
        extra: dict[str, object] = {
            "abnormal": abnormal,
            "abnormal_share": round(abnormal / n, 4) if n else None,
            "durations": durations.get(host, {}),
            "timeline": {
                fam: [{"hour": h, "count": c} for h, c in series]
                for fam, series in sorted(timelines.get(host, {}).items())
            },
        }
        if n_out:
            extra["outbound"] = tuple(outbound.get(host, ()))
            extra["outbound_count"] = n_out
        hosts.append(
            HostReport(
                host, n, auth, dict(sorted(families.items())), tuple(causes.get(host, ())), extra
            )
        )
    total, shapes = store.unmatched()
    findings = diagnose(store, settings)
    advice = advise(findings, hosts)
    report_extra: dict[str, object] = {"advice": tuple(advice), "findings": tuple(findings)}
    if settings is not None and settings.source:
        report_extra["sshd_config"] = {
            "source": settings.source,
            "client_alive_interval": settings.client_alive_interval,
            "client_alive_count_max": settings.client_alive_count_max,
            "login_grace_time": settings.login_grace_time,
            "max_startups": settings.max_startups,
        }
    return Report(
        sources=tuple(store.sources()),
        hosts=tuple(hosts),
        connections=tuple(sorted(connections, key=_order))
        if connections is not None
        else tuple(store.connections()),
        unmatched_count=total,
        unmatched=tuple(shapes),
        extra=report_extra,
    )
