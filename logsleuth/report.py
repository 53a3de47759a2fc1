"""Store -> report model: per-host rollups from the SQL files, plus every connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from logsleuth import config_blocks
from logsleuth.advice import advice_catalogue, advise
from logsleuth.diagnose import diagnose
from logsleuth.families import ABNORMAL
from logsleuth.hostfacts import HostFacts, show_version
from logsleuth.model import (
    CauseCount,
    Connection,
    Coverage,
    DurationStats,
    FamilyTimeline,
    HostFactsSummary,
    HostReport,
    HourCount,
    Report,
    SshdConfigSummary,
)
from logsleuth.rollups import CauseRow, DurationRow, HostRow, TimelineRow, TopIpRow, TopUserRow
from logsleuth.sshd_config import SshdSettings
from logsleuth.store import Store


def _durations(store: Store) -> dict[str, tuple[DurationStats, ...]]:
    out: dict[str, list[DurationStats]] = defaultdict(list)
    for r in store.query_as("durations", DurationRow):
        out[r.host].append(
            DurationStats(r.family, r.n, round(r.median_s, 3), round(r.p90_s, 3), round(r.max_s, 3))
        )
    return {h: tuple(v) for h, v in out.items()}


def _timelines(store: Store) -> dict[str, tuple[FamilyTimeline, ...]]:
    series: dict[str, dict[str, list[HourCount]]] = defaultdict(lambda: defaultdict(list))
    for r in store.query_as("timeline", TimelineRow):
        series[r.host][r.family].append(HourCount(r.hour, r.n))
    return {
        host: tuple(FamilyTimeline(fam, tuple(pts)) for fam, pts in sorted(by_fam.items()))
        for host, by_fam in series.items()
    }


def _causes(store: Store) -> tuple[dict[str, list[CauseCount]], dict[str, list[CauseCount]]]:
    """Inbound and outbound causes per host, each with its top addresses and users."""
    ips: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    users: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for t in store.query_as("top_ips", TopIpRow):
        ips[(t.host, t.family, t.cause)].append((t.client_ip, t.n))
    for u in store.query_as("top_users", TopUserRow):
        users[(u.host, u.family, u.cause)].append((u.user, u.n))
    inbound: dict[str, list[CauseCount]] = defaultdict(list)
    outbound: dict[str, list[CauseCount]] = defaultdict(list)
    for r in store.query_as("by_cause", CauseRow):
        key = (r.host, r.family, r.cause)
        cc = CauseCount(
            r.family,
            r.cause,
            r.n,
            r.pattern_id,
            r.evidence,
            tuple(ips.get(key, ())),
            tuple(users.get(key, ())),
        )
        (inbound if r.direction == "inbound" else outbound)[r.host].append(cc)
    return inbound, outbound


def host_reports(store: Store) -> tuple[HostReport, ...]:
    """One rollup per host of the connections in the store."""
    inbound, outbound = _causes(store)
    durations = _durations(store)
    timelines = _timelines(store)
    hosts = []
    for r in store.query_as("by_host", HostRow):
        families: dict[str, int] = defaultdict(int)
        for cc in inbound.get(r.host, ()):
            families[cc.family] += cc.count
        abnormal = sum(v for f, v in families.items() if f in ABNORMAL)
        hosts.append(
            HostReport(
                host=r.host,
                connections=r.connections,
                authenticated=r.authenticated,
                families=dict(sorted(families.items())),
                causes=tuple(inbound.get(r.host, ())),
                abnormal=abnormal,
                abnormal_share=round(abnormal / r.connections, 4) if r.connections else None,
                durations=durations.get(r.host, ()),
                timeline=timelines.get(r.host, ()),
                outbound=tuple(outbound.get(r.host, ())),
                outbound_count=r.outbound,
            )
        )
    return tuple(hosts)


def build_report(
    store: Store,
    settings: SshdSettings | Mapping[str, SshdSettings] | None = None,
    connections: Sequence[Connection] | None = None,
    coverage: Coverage | None = None,
    first_run: int = 1,
    facts: Mapping[str, HostFacts] | None = None,
) -> Report:
    """Build the report model from a filled store.

    ``settings``: sshd settings for every host, or per host (``"*"`` = every host).
    ``connections``: the connections in report order, as the caller reads them (a page
    view over the store); when None they are all read from the store. ``first_run``: the
    first ingest run whose sources and unmatched lines the report counts. ``facts``: what
    each host's own lines say about it (version range, systemd, sshd's drop counts,
    reboots).
    """
    configs: Mapping[str, SshdSettings] = (
        {"*": settings} if isinstance(settings, SshdSettings) else dict(settings or {})
    )
    facts = facts or {}
    hosts = host_reports(store)
    total, shapes = store.unmatched(first_run)
    findings = diagnose(store, configs, facts)
    cat = advice_catalogue()
    advice, blocks = config_blocks.build(advise(findings, hosts, facts, cat), cat, facts, configs)
    summaries = tuple(
        SshdConfigSummary(
            host,
            s.source,
            s.client_alive_interval,
            s.client_alive_count_max,
            s.login_grace_time,
            s.max_startups,
        )
        for host, s in sorted(configs.items())
        if s.source
    )
    shown = {h.host for h in hosts}
    host_facts = tuple(
        HostFactsSummary(
            host,
            f.versions.describe(),
            show_version(f.versions.lo) if f.versions.lo else None,
            show_version(f.versions.hi) if f.versions.hi else None,
            f.versions.reasons,
            f.systemd,
        )
        for host, f in sorted(facts.items())
        if host in shown
    )
    return Report(
        sources=tuple(store.sources(first_run)),
        hosts=hosts,
        connections=connections if connections is not None else tuple(store.connections()),
        unmatched_count=total,
        unmatched=tuple(shapes),
        advice=tuple(advice),
        findings=tuple(findings),
        sshd_config=summaries,
        coverage=coverage,
        config=tuple(blocks),
        host_facts=host_facts,
        merge=config_blocks.Merger(cat, facts, configs),
    )
