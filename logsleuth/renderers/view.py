"""The report model as the markdown, csv and html renderers read it: one place to adapt.

Every access to a host's or report's optional rollups goes through here, so a change of
the model's shape touches this module only.
"""

from __future__ import annotations

from logsleuth.model import Advice, CauseCount, HostReport, Report


def advice(report: Report) -> tuple[Advice, ...]:
    """The report's advice, in order (empty when there is none)."""
    items = report.extra.get("advice", ())
    return tuple(a for a in items if isinstance(a, Advice)) if isinstance(items, tuple) else ()


def abnormal(h: HostReport) -> tuple[int, float | None]:
    """Inbound connections of the host that ended abnormally, and their share."""
    n, share = h.extra.get("abnormal"), h.extra.get("abnormal_share")
    return (
        n if isinstance(n, int) else 0,
        float(share) if isinstance(share, (int, float)) else None,
    )


def outbound(h: HostReport) -> tuple[tuple[CauseCount, ...], int]:
    """The host's outbound (ssh client) connections by cause, and how many there were."""
    causes, n = h.extra.get("outbound", ()), h.extra.get("outbound_count", 0)
    return (
        tuple(c for c in causes if isinstance(c, CauseCount)) if isinstance(causes, tuple) else (),
        n if isinstance(n, int) else 0,
    )


def durations(h: HostReport) -> list[tuple[str, int, float, float, float]]:
    """Per family: sessions, median, p90 and longest length in seconds."""
    raw = h.extra.get("durations")
    if not isinstance(raw, dict):
        return []
    return [
        (str(fam), int(d["count"]), float(d["median_s"]), float(d["p90_s"]), float(d["max_s"]))
        for fam, d in raw.items()
    ]


def timeline(h: HostReport) -> dict[str, list[tuple[str, int]]]:
    """Per family: (hour as ``YYYY-MM-DDTHH:00Z``, connections) points."""
    raw = h.extra.get("timeline")
    if not isinstance(raw, dict):
        return {}
    return {
        str(fam): [(str(p["hour"]), int(p["count"])) for p in pts]
        for fam, pts in raw.items()
        if isinstance(pts, list)
    }
