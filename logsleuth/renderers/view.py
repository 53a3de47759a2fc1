"""The report model as the markdown, csv and html renderers read it: one place to adapt.

Every access to a host's or report's optional rollups goes through here, so a change of
the model's shape touches this module only.
"""

from __future__ import annotations

from logsleuth.model import Advice, CauseCount, HostReport, Report


def advice(report: Report) -> tuple[Advice, ...]:
    """The report's advice, in order (empty when there is none)."""
    return report.advice


def abnormal(h: HostReport) -> tuple[int, float | None]:
    """Inbound connections of the host that ended abnormally, and their share."""
    return h.abnormal, h.abnormal_share


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
