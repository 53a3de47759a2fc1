"""Inline SVG charts for the HTML report: a per-hour timeline per family, session lengths.

Pure functions from numbers to SVG text; every label goes through the caller's escape
function, and nothing refers to anything outside the document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

Escape = Callable[[str], str]

#: One colour per family (others get grey); chosen to stay apart in print and for most
#: colour-blind readers, with the abnormal families in warm colours.
COLOURS = {
    "clean-exit": "#2e7d32",
    "open": "#0277bd",
    "keepalive-timeout": "#c62828",
    "network-drop": "#ef6c00",
    "idle-policy": "#8e24aa",
    "server-limit": "#ad1457",
    "auth-failure": "#f9a825",
    "access-policy": "#6d4c41",
    "negotiation-failure": "#5d4037",
    "preauth-probe": "#90a4ae",
    "server-shutdown": "#b71c1c",
    "protocol-error": "#4e342e",
    "unknown": "#7b1fa2",
}

#: Session-length buckets: upper bound in seconds (exclusive) and label.
LENGTH_BUCKETS: tuple[tuple[float, str], ...] = (
    (1, "< 1 s"),
    (10, "1-10 s"),
    (60, "10 s-1 min"),
    (600, "1-10 min"),
    (3600, "10 min-1 h"),
    (8 * 3600, "1-8 h"),
    (float("inf"), "8 h +"),
)

_LABEL_W, _PLOT_W, _ROW_H = 160, 560, 26
_FONT = 'font-family="sans-serif" font-size="11"'


def _hour(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def timeline(series: dict[str, list[tuple[str, int]]], esc: Escape, max_cells: int = 168) -> str:
    """Connections per hour, one row of bars per family, on a shared time axis.

    ``series`` maps a family to (hour ``YYYY-MM-DDTHH:00Z``, count) points. Spans longer
    than ``max_cells`` hours put several hours in each bar (the caption says how many).
    """
    hours = sorted({h for pts in series.values() for h, _ in pts})
    if not hours:
        return ""
    first, last = _hour(hours[0]), _hour(hours[-1])
    span = int((last - first) / timedelta(hours=1)) + 1
    per = max(1, -(-span // max_cells))
    cells = -(-span // per)
    bar_w = _PLOT_W / cells
    height = _ROW_H * len(series) + 34
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" role="img" '
        f'width="{_LABEL_W + _PLOT_W + 50}" height="{height}" '
        f'viewBox="0 0 {_LABEL_W + _PLOT_W + 50} {height}">',
        f"<title>{esc(f'connections per {per} h by family, from {hours[0]}')}</title>",
    ]
    for row, (fam, pts) in enumerate(series.items()):
        counts = [0] * cells
        for h, n in pts:
            counts[int((_hour(h) - first) / timedelta(hours=1)) // per] += n
        top = max(counts) or 1
        y0 = row * _ROW_H
        colour = COLOURS.get(fam, "#757575")
        out.append(
            f'<text x="0" y="{y0 + 16}" {_FONT}>{esc(fam)}</text>'
            f'<line x1="{_LABEL_W}" y1="{y0 + _ROW_H - 2}" x2="{_LABEL_W + _PLOT_W}" '
            f'y2="{y0 + _ROW_H - 2}" stroke="#ccc"/>'
        )
        for i, n in enumerate(counts):
            if not n:
                continue
            bar_h = max(1.0, (_ROW_H - 6) * n / top)
            x = _LABEL_W + i * bar_w
            when = first + timedelta(hours=i * per)
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y0 + _ROW_H - 2 - bar_h:.1f}" '
                f'width="{max(bar_w - 0.5, 0.5):.1f}" height="{bar_h:.1f}" fill="{colour}">'
                f"<title>{esc(f'{fam}: {n} at {when:%Y-%m-%d %H}:00')}</title></rect>"
            )
        out.append(f'<text x="{_LABEL_W + _PLOT_W + 6}" y="{y0 + 16}" {_FONT}>{sum(counts)}</text>')
    axis_y = _ROW_H * len(series) + 14
    out.append(
        f'<text x="{_LABEL_W}" y="{axis_y}" {_FONT}>{esc(f"{first:%Y-%m-%d %H}:00")}</text>'
        f'<text x="{_LABEL_W + _PLOT_W}" y="{axis_y}" text-anchor="end" {_FONT}>'
        f"{esc(f'{last:%Y-%m-%d %H}:00 UTC')}</text>"
        f'<text x="{_LABEL_W}" y="{axis_y + 14}" {_FONT} fill="#555">'
        f"{esc(f'{per} h per bar' if per > 1 else '1 h per bar')}</text>"
    )
    out.append("</svg>")
    return "".join(out)


def length_counts(durations: Sequence[float]) -> list[int]:
    """How many durations fall in each of :data:`LENGTH_BUCKETS`."""
    counts = [0] * len(LENGTH_BUCKETS)
    for d in durations:
        for i, (upper, _) in enumerate(LENGTH_BUCKETS):
            if d < upper:
                counts[i] += 1
                break
    return counts


def lengths(durations: Sequence[float], esc: Escape) -> str:
    """The distribution of session lengths as a bar chart (one bar per bucket)."""
    counts = length_counts(durations)
    if not any(counts):
        return ""
    top = max(counts)
    bar_w, gap, plot_h = 80, 10, 120
    width = len(counts) * (bar_w + gap) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart lengths" role="img" '
        f'width="{width}" height="{plot_h + 40}" viewBox="0 0 {width} {plot_h + 40}">',
        f"<title>{esc(f'session lengths of {len(durations)} connections')}</title>",
    ]
    for i, ((_, label), n) in enumerate(zip(LENGTH_BUCKETS, counts, strict=True)):
        x = 5 + i * (bar_w + gap)
        h = plot_h * n / top
        out.append(
            f'<rect class="bar" x="{x}" y="{plot_h + 14 - h:.1f}" width="{bar_w}" '
            f'height="{h:.1f}" fill="#0277bd"><title>{esc(f"{label}: {n}")}</title></rect>'
            f'<text x="{x + bar_w / 2}" y="{plot_h + 10 - h:.1f}" text-anchor="middle" '
            f"{_FONT}>{n}</text>"
            f'<text x="{x + bar_w / 2}" y="{plot_h + 30}" text-anchor="middle" {_FONT}>'
            f"{esc(label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
