"""Store -> report model: per-host rollups from the SQL files, plus every connection."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from logsleuth.model import CauseCount, Evidence, HostReport, Report
from logsleuth.store import Store


def _evidence(raw: dict[str, Any] | None) -> Evidence | None:
    return Evidence(raw["source"], raw["line"], raw["text"]) if raw else None


def build_report(store: Store, sshd_config: str | None = None) -> Report:
    """Build the report model from a filled store."""
    tops: dict[str, dict[tuple[str, str, str], list[tuple[str, int]]]] = {
        "ip": defaultdict(list), "user": defaultdict(list)}
    for host, fam, cause, ip, n in store.query("top_ips"):
        tops["ip"][(host, fam, cause)].append((ip, n))
    for host, fam, cause, user, n in store.query("top_users"):
        tops["user"][(host, fam, cause)].append((user, n))
    causes: dict[str, list[CauseCount]] = defaultdict(list)
    outbound: dict[str, list[CauseCount]] = defaultdict(list)
    for host, direction, fam, cause, n, pattern_id, ev in store.query("by_cause"):
        cc = CauseCount(fam, cause, n, pattern_id, _evidence(ev),
                        tuple(tops["ip"].get((host, fam, cause), ())),
                        tuple(tops["user"].get((host, fam, cause), ())))
        (causes if direction == "inbound" else outbound)[host].append(cc)
    hosts = []
    for host, n, auth, n_out in store.query("by_host"):
        families: dict[str, int] = defaultdict(int)
        for cc in causes.get(host, ()):
            families[cc.family] += cc.count
        extra: dict[str, object] = {}
        if n_out:
            extra["outbound"] = tuple(outbound.get(host, ()))
            extra["outbound_count"] = n_out
        hosts.append(HostReport(host, n, auth, dict(sorted(families.items())),
                                tuple(causes.get(host, ())), extra))
    total, shapes = store.unmatched()
    return Report(
        sources=tuple(store.sources()),
        hosts=tuple(hosts),
        connections=tuple(store.connections()),
        unmatched_count=total,
        unmatched=tuple(shapes),
    )
