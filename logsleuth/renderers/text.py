"""The terminal report: rich tables, plain when colour is off."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logsleuth.families import ABNORMAL, FAMILIES
from logsleuth.model import CauseCount, HostReport, Report, SourceInfo

_STYLE = {"clean-exit": "green", "open": "cyan", "auth-failure": "yellow",
          "preauth-probe": "dim", "unknown": "magenta"}


def _style(family: str) -> str:
    return _STYLE.get(family, "red" if family in ABNORMAL else "")


def _tops(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{v} ({n})" for v, n in pairs)


def _cause_table(title: str, causes: tuple[CauseCount, ...]) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    t.add_column("family")
    t.add_column("cause")
    t.add_column("conns", justify="right")
    t.add_column("top clients")
    t.add_column("top users")
    for c in causes:
        t.add_row(Text(c.family, style=_style(c.family)), c.cause, str(c.count),
                  _tops(c.top_ips), _tops(c.top_users))
    return t


def _host(console: Console, h: HostReport) -> None:
    abnormal = sum(n for f, n in h.families.items() if f in ABNORMAL)
    share = f"{100 * abnormal / h.connections:.0f}%" if h.connections else "-"
    console.print(Text(f"host {h.host}:", style="bold"),
                  f"{h.connections} connections, {h.authenticated} authenticated, "
                  f"{share} ended abnormally")
    if h.causes:
        console.print(_cause_table("how connections ended", h.causes))
        console.print("evidence (one line per cause):")
        for c in h.causes:
            if c.evidence:
                console.print(f"  [{c.cause}] {c.evidence.source}:{c.evidence.line}",
                              style="dim", highlight=False)
                console.print(Text(f"    {c.evidence.text}"), highlight=False, soft_wrap=True)
    outbound = h.extra.get("outbound")
    if isinstance(outbound, tuple) and outbound:
        console.print(_cause_table("outbound ssh (this host as a client)", outbound))
    console.print()


def _sources(console: Console, sources: tuple[SourceInfo, ...]) -> None:
    t = Table(title="sources read", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("source", "reader", "lines", "ssh lines", "matched", "unmatched", "note"):
        t.add_column(col, justify="right" if col in ("lines", "ssh lines", "matched",
                                                     "unmatched") else "left")
    for s in sources:
        if s.error:
            note = Text(f"ERROR: {s.error}" + (f" ({s.hint})" if s.hint else ""), style="red")
        else:
            note = Text(s.note or "")
        t.add_row(s.path, s.reader, str(s.lines), str(s.ssh_lines), str(s.matched),
                  str(s.unmatched), note)
    console.print(t)


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The whole report as terminal text."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width,
                      color_system="standard" if color else None, highlight=False,
                      emoji=False, soft_wrap=False)
    n = sum(h.connections for h in report.hosts)
    console.print(Text(f"logsleuth: {n} connections on {len(report.hosts)} host(s)",
                       style="bold"))
    if not report.hosts:
        read = [s for s in report.sources if not s.error]
        if not read:
            console.print(Text("nothing was read: see the errors below", style="red"))
        elif sum(s.ssh_lines for s in read) == 0:
            console.print(Text("no ssh lines in the sources read: this is not a clean "
                               "bill of health, there was nothing to judge", style="yellow"))
    console.print()
    for h in report.hosts:
        _host(console, h)
    total_ssh = sum(s.ssh_lines for s in report.sources)
    console.print(Text(f"unmatched ssh lines: {report.unmatched_count} of {total_ssh}",
                       style="bold"))
    for u in report.unmatched[:10]:
        console.print(Text(f"  {u.count:>6}  {u.shape}"), highlight=False, soft_wrap=True)
    console.print()
    _sources(console, report.sources)
    seen = {f for h in report.hosts for f in h.families}
    console.print(Text("families: " + ", ".join(f for f in FAMILIES if f in seen),
                       style="dim"))
    return buf.getvalue()
