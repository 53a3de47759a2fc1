"""The report model as the markdown, csv and html renderers read it: one place to adapt.

Every access to a host's or report's optional rollups goes through here, so a change of
the model's shape touches this module only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import overload

from logsleuth.diagnose import plural
from logsleuth.families import UNEXPLAINED
from logsleuth.model import Advice, CauseCount, Connection, HostReport, Report


def advice(report: Report) -> tuple[Advice, ...]:
    """The report's advice, in order (empty when there is none)."""
    return report.advice


def abnormal(h: HostReport) -> tuple[int, float | None]:
    """Inbound connections of the host that ended abnormally, and their share."""
    return h.abnormal, h.abnormal_share


def ending(h: HostReport) -> tuple[str, str, str]:
    """The host line of every format, in three parts: the counts, the abnormal share, and
    the connections whose end no line explains ("" when none). Those are not abnormal
    (``families.ABNORMAL``): the log does not say why they ended."""
    n, share = abnormal(h)
    pct = f"{100 * share:.0f}%" if share is not None else "-"
    unexplained = h.families.get(UNEXPLAINED, 0)
    return (
        f"{plural(h.connections, 'connection')}, {h.authenticated} authenticated",
        f"{pct} ended abnormally",
        f"{unexplained} ended without a line saying why" if unexplained else "",
    )


def outbound(h: HostReport) -> tuple[tuple[CauseCount, ...], int]:
    """The host's outbound (ssh client) connections by cause, and how many there were."""
    return h.outbound, h.outbound_count


def durations(h: HostReport) -> list[tuple[str, int, float, float, float]]:
    """Per family: sessions, median, p90 and longest length in seconds."""
    return [(d.family, d.count, d.median_s, d.p90_s, d.max_s) for d in h.durations]


def timeline(h: HostReport) -> dict[str, list[tuple[str, int]]]:
    """Per family: (hour as ``YYYY-MM-DDTHH:00Z``, connections) points."""
    return {
        t.family: [(p.hour.strftime("%Y-%m-%dT%H:00Z"), p.count) for p in t.hours]
        for t in h.timeline
    }


class _OnHosts(Sequence[Connection]):
    """The connections of some hosts, read lazily from a (possibly paged) sequence."""

    def __init__(self, connections: Sequence[Connection], hosts: frozenset[str]) -> None:
        self._all, self._hosts = connections, hosts
        self._len: int | None = None

    def __iter__(self) -> Iterator[Connection]:
        return (c for c in self._all if c.host in self._hosts)

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(1 for _ in self)
        return self._len

    @overload
    def __getitem__(self, index: int) -> Connection: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Connection]: ...

    def __getitem__(self, index: int | slice) -> Connection | Sequence[Connection]:
        return list(self)[index]


def only_hosts(report: Report, hosts: Sequence[str]) -> Report:
    """The report as ``--host`` shows it: those hosts' tables, connections and blocks, and
    the advice and findings that touch them (computed over every host, so an item that
    spans several hosts still says so). Sources and unmatched lines stay whole."""
    if not hosts:
        return report
    wanted = frozenset(hosts)

    def touches(host: str, several: tuple[str, ...]) -> bool:
        return bool(wanted & set(several or (host,)))

    return replace(
        report,
        hosts=tuple(h for h in report.hosts if h.host in wanted),
        connections=_OnHosts(report.connections, wanted),
        advice=tuple(a for a in report.advice if touches(a.host, a.hosts)),
        findings=tuple(f for f in report.findings if touches(f.host, f.hosts)),
        sshd_config=tuple(s for s in report.sshd_config if s.host in wanted or s.host == "*"),
        config=tuple(c for c in report.config if c.host in wanted),
        host_facts=tuple(f for f in report.host_facts if f.host in wanted),
    )
