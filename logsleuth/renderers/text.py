"""The terminal report: rich tables, plain when colour is off."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logsleuth.families import ABNORMAL, FAMILIES
from logsleuth.model import Advice, CauseCount, Coverage, HostReport, Report, SourceInfo
from logsleuth.renderers.safe import text as cell
from logsleuth.renderers.safe import visible, visible_lines

_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """Counts as a row of block characters (blank for zero)."""
    top = max(counts) if counts else 0
    if top == 0:
        return " " * len(counts)
    return "".join(_BARS[0 if c == 0 else max(1, round(8 * c / top))] for c in counts)


def _timeline(console: Console, h: HostReport, cells: int) -> None:
    if not h.timeline:
        return
    hours = sorted({p.hour for t in h.timeline for p in t.hours})
    first, last = hours[0], hours[-1]
    span = int((last - first).total_seconds() // 3600) + 1
    per = max(1, -(-span // cells))
    n = -(-span // per)
    console.print(f"timeline, {per} h per cell, from {first:%Y-%m-%d %H:00} UTC:")
    for t in h.timeline:
        counts = [0] * n
        for p in t.hours:
            counts[int((p.hour - first) / timedelta(hours=1)) // per] += p.count
        console.print(cell(f"  {t.family:<20} |{sparkline(counts)}| {sum(counts)}"), soft_wrap=True)


def _durations(console: Console, h: HostReport) -> None:
    if not h.durations:
        return
    t = Table(title="session length by family (seconds)", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("family", "n", "median", "p90", "max"):
        t.add_column(col, justify="left" if col == "family" else "right")
    for d in h.durations:
        t.add_row(
            cell(d.family),
            str(d.count),
            f"{d.median_s:.1f}",
            f"{d.p90_s:.1f}",
            f"{d.max_s:.1f}",
        )
    console.print(t)


def _advice(console: Console, advice: tuple[Advice, ...]) -> None:
    console.print(Text("what to change", style="bold underline"))
    if not advice:
        console.print("  nothing: no connection ended in a way a setting would change\n")
        return
    for i, a in enumerate(advice, 1):
        console.print(cell(f"{i}. [{a.host}] {a.title}", style="bold"), soft_wrap=True)
        console.print(Text(visible_lines(f"   {a.text}")))
        for b in a.because:
            console.print(cell(f"   because: {b}", style="dim"))
        for e in a.evidence[:2]:
            console.print(
                cell(f"   evidence {e.source}:{e.line}: {e.text}", style="dim"), soft_wrap=True
            )
        if a.snippet:
            for line in a.snippet.splitlines():
                console.print(cell(f"     {line}", style="cyan"), soft_wrap=True)
        console.print()


_STYLE = {
    "clean-exit": "green",
    "open": "cyan",
    "auth-failure": "yellow",
    "preauth-probe": "dim",
    "unknown": "magenta",
}


def _style(family: str) -> str:
    return _STYLE.get(family, "red" if family in ABNORMAL else "")


def _tops(pairs: tuple[tuple[str, int], ...]) -> str:
    return visible(", ".join(f"{v} ({n})" for v, n in pairs))


def _cause_table(title: str, causes: tuple[CauseCount, ...]) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    t.add_column("family")
    t.add_column("cause")
    t.add_column("conns", justify="right")
    t.add_column("top clients")
    t.add_column("top users")
    for c in causes:
        # The cause id repeats its family; show only the part after the slash.
        t.add_row(
            cell(c.family, style=_style(c.family)),
            cell(c.cause.split("/", 1)[-1]),
            str(c.count),
            Text(_tops(c.top_ips[:2])),
            Text(_tops(c.top_users[:2])),
        )
    return t


def _host(console: Console, h: HostReport) -> None:
    abnormal = sum(n for f, n in h.families.items() if f in ABNORMAL)
    share = f"{100 * abnormal / h.connections:.0f}%" if h.connections else "-"
    if h.connections:
        summary = (
            f"{h.connections} connections, {h.authenticated} authenticated, "
            f"{share} ended abnormally"
        )
    else:
        summary = f"no inbound connections; {h.outbound_count} outbound"
    console.print(cell(f"host {h.host}:", style="bold"), Text(summary))
    if h.causes:
        console.print(_cause_table("how connections ended", h.causes))
        _durations(console, h)
        console.print("evidence (one line per cause):")
        for c in h.causes:
            if c.evidence:
                console.print(
                    cell(f"  [{c.cause}] {c.evidence.source}:{c.evidence.line}", style="dim"),
                    highlight=False,
                )
                console.print(cell(f"    {c.evidence.text}"), highlight=False, soft_wrap=True)
    if h.outbound:
        console.print(_cause_table("outbound ssh (this host as a client)", h.outbound))
    _timeline(console, h, 72)
    console.print()


def _sources(console: Console, sources: tuple[SourceInfo, ...]) -> None:
    t = Table(title="sources read", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("source", "reader", "lines", "ssh lines", "matched", "unmatched", "note"):
        t.add_column(
            col,
            justify="right" if col in ("lines", "ssh lines", "matched", "unmatched") else "left",
        )
    for s in sources:
        if s.error:
            note = cell(f"ERROR: {s.error}" + (f" ({s.hint})" if s.hint else ""), style="red")
        else:
            note = cell(s.note or "")
        t.add_row(
            cell(s.path),
            cell(s.reader),
            str(s.lines),
            str(s.ssh_lines),
            str(s.matched),
            str(s.unmatched),
            note,
        )
    console.print(t)


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The whole report as terminal text."""
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        width=width,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    n = sum(h.connections for h in report.hosts)
    console.print(Text(f"logsleuth: {n} connections on {len(report.hosts)} host(s)", style="bold"))
    if not report.hosts:
        read = [s for s in report.sources if not s.error]
        if not read:
            console.print(Text("nothing was read: see the errors below", style="red"))
        elif sum(s.ssh_lines for s in read) == 0:
            console.print(
                Text(
                    "no ssh lines in the sources read: this is not a clean "
                    "bill of health, there was nothing to judge",
                    style="yellow",
                )
            )
    console.print()
    if report.hosts:
        _advice(console, report.advice)
    if report.findings:
        console.print(Text("findings across connections", style="bold underline"))
        for f in report.findings:
            console.print(cell(f"  [{f.host}] {f.rule}: {f.summary}"), soft_wrap=True)
        console.print()
    for h in report.hosts:
        _host(console, h)
    total_ssh = sum(s.ssh_lines for s in report.sources)
    console.print(
        Text(f"unmatched ssh lines: {report.unmatched_count} of {total_ssh}", style="bold")
    )
    for u in report.unmatched[:10]:
        console.print(cell(f"  {u.count:>6}  {u.shape}"), highlight=False, soft_wrap=True)
    console.print()
    _sources(console, report.sources)
    seen = {f for h in report.hosts for f in h.families}
    matched = sum(s.matched for s in report.sources)
    cover = f"{100 * matched / total_ssh:.1f}%" if total_ssh else "-"
    console.print(
        Text(
            f"coverage: {matched} of {total_ssh} ssh lines classified ({cover}); "
            f"families seen: " + ", ".join(f for f in (*FAMILIES, "open") if f in seen),
            style="dim",
        ),
        soft_wrap=True,
    )
    if report.coverage is not None:
        _runs(console, report.coverage)
    return buf.getvalue()


def _when(ts: datetime | None) -> str:
    return f"{ts:%Y-%m-%d %H:%M} UTC" if ts else "-"


def _runs(console: Console, c: Coverage) -> None:
    """The footer of a stored report: which runs and which span of the log it stands on."""
    console.print(
        Text(
            f"stored data: {c.runs} ingest run(s) from {_when(c.first_run)} to "
            f"{_when(c.last_run)}; connections from {_when(c.first_line)} to "
            f"{_when(c.last_line)}",
            style="dim",
        ),
        soft_wrap=True,
    )
    for path in c.silent_sources:
        console.print(
            cell(
                f"WARNING: {path} delivered nothing in these runs: no news is not good news "
                "here; check that it is still written (rotation, logging config, permissions)",
                style="yellow",
            ),
            soft_wrap=True,
        )
