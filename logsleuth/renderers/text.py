"""The terminal report: rich tables, plain when colour is off."""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logsleuth.diagnose import human, plural
from logsleuth.families import ABNORMAL, FAMILIES
from logsleuth.model import (
    Advice,
    CauseCount,
    Coverage,
    HostConfig,
    HostReport,
    Report,
    SourceInfo,
)
from logsleuth.renderers import view
from logsleuth.renderers.safe import text as cell
from logsleuth.renderers.safe import visible

_BARS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Layout:
    """What the text report shows (the CLI's ``--summary``, ``--top``, ``--host``)."""

    summary: bool = False
    """Advice (titles and changes) and one table per host, nothing else."""
    top: int | None = None
    """Only the first N advice items (they are ranked by harm)."""
    hosts: tuple[str, ...] = ()
    """Only these hosts (empty: all)."""


_CODE = re.compile(r"`[^`\n]+`")
_GLUE = "\x00"  # stands for a space inside a code span while wrapping (logs hold no NUL)


def _fill(text: str, width: int, indent: str = "   ", first: str | None = None) -> str:
    """Word-wrapped to ``width`` (never inside a word), continuation lines indented; a
    `code span` that fits on a line is never split (it is meant to be copied whole)."""
    width = max(20, width)
    room = width - len(indent)

    def glue(m: re.Match[str]) -> str:
        span = m.group()
        return span.replace(" ", _GLUE) if len(span) <= room else span

    filled = textwrap.fill(
        _CODE.sub(glue, text.replace(_GLUE, " ")),
        width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return filled.replace(_GLUE, " ")


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


def _timeline_cells(width: int) -> int:
    """Sparkline cells that fit beside the family name and the total."""
    return max(8, min(72, width - 32))


def _durations(console: Console, h: HostReport) -> None:
    if not h.durations:
        return
    t = Table(title="session length by family", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("family", "n", "median", "p90", "max"):
        t.add_column(col, justify="left" if col == "family" else "right", no_wrap=True)
    for d in h.durations:
        t.add_row(cell(d.family), str(d.count), human(d.median_s), human(d.p90_s), human(d.max_s))
    console.print(t)


def _advice(
    console: Console, advice: tuple[Advice, ...], width: int, summary: bool, total: int
) -> None:
    more = f" (the first {len(advice)} of {total})" if len(advice) < total else ""
    console.print(Text(f"what to change, most harmful first{more}", style="bold underline"))
    if not advice:
        said = "nothing: no connection ended in a way a setting would change"
        _print_lines(console, _fill(said, width, "    ", "  "))
        console.print()
        return
    for i, a in enumerate(advice, 1):
        _print_lines(console, _fill(a.title, width, "   ", f"{i}. "), "bold")
        if not summary:
            _print_lines(console, _fill(a.text, width))
            for e in a.evidence[:2]:
                # Log lines are never re-wrapped: they stay whole for copy and grep.
                console.print(
                    cell(f"   > {e.source}:{e.line} {e.text}", style="dim"), soft_wrap=True
                )
        for c in dict.fromkeys(a.changes):
            _print_lines(console, _fill(f"change: {c}", width, "     ", "   "), "cyan")
        if not summary:
            for block in (a.command, a.systemd):
                for line in _config_lines(block, "     ", width):
                    console.print(cell(line, style="cyan"), soft_wrap=True)
            console.print()
    if summary:
        console.print()


def _print_lines(console: Console, text: str, style: str = "") -> None:
    """Wrapped text, each line shown literally (log-derived text is never markup)."""
    for line in text.split("\n"):
        console.print(cell(line, style=style), soft_wrap=True)


def _config_lines(text: str | None, indent: str, width: int) -> list[str]:
    """Configuration text indented; comments folded at words to fit (``# `` continues
    them), settings never broken."""
    out = []
    for line in (text or "").splitlines():
        if line.lstrip().startswith("#") and len(indent + line) > width:
            lead = line[: len(line) - len(line.lstrip())]
            more = f"{indent}{lead}# "
            out += _fill(line.lstrip()[1:].strip(), width, more, more).split("\n")
        else:
            out.append(f"{indent}{line}")
    return out


def _config_blocks(
    console: Console, blocks: tuple[HostConfig, ...], width: int, heading: str
) -> None:
    if not blocks:
        return
    console.print(Text(heading, style="bold underline"))
    for b in blocks:
        _print_lines(console, _fill(f"{b.host}: {b.versions}", width, "  ", ""), "bold")
        for part in (b.sshd_config, b.client_config, b.systemd):
            if not part:
                continue
            for line in _config_lines(part, "    ", width):
                console.print(cell(line, style="cyan"), soft_wrap=True)
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


def _cause_table(title: str, causes: tuple[CauseCount, ...], width: int = 100) -> Table:
    # Narrow terminals lose the least useful columns first instead of folding words.
    # ... and columns with nothing in them (outbound causes have no client or user).
    clients = width >= 72 and any(c.top_ips for c in causes)
    users = width >= 96 and any(c.top_users for c in causes)
    shown = 2 if width >= 140 else 1
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    t.add_column("family", no_wrap=True)
    t.add_column("cause", no_wrap=True)
    t.add_column("conns", justify="right", no_wrap=True)
    if clients:
        t.add_column("top client", no_wrap=True)
    if users:
        t.add_column("top user", no_wrap=True)
    for c in causes:
        # The cause id repeats its family; show only the part after the slash.
        row = [
            cell(c.family, style=_style(c.family)),
            cell(c.cause.split("/", 1)[-1]),
            Text(str(c.count)),
        ]
        if clients:
            row.append(Text(_tops(c.top_ips[:shown])))
        if users:
            row.append(Text(_tops(c.top_users[:shown])))
        t.add_row(*row)
    return t


def _host(console: Console, h: HostReport, width: int, summary: bool) -> None:
    if h.connections:
        text = ", ".join(part for part in view.ending(h) if part)
    else:
        text = f"no inbound connections; {h.outbound_count} outbound"
    # Folded like the advice: continuation lines indented, never at the left margin.
    head, *rest = _fill(f"host {h.host}: {text}", width, "  ", "").split("\n")
    name = f"host {h.host}:"
    line = Text()
    if head.startswith(name):
        line.append(cell(name, style="bold"))
        line.append(cell(head[len(name) :]))
    else:
        line.append(cell(head, style="bold"))
    console.print(line, soft_wrap=True)
    if rest:
        _print_lines(console, "\n".join(rest))
    if h.causes:
        console.print(_cause_table("how connections ended", h.causes, width))
        if summary:
            console.print()
            return
        _durations(console, h)
        if any(c.evidence for c in h.causes):
            console.print("evidence (one line per cause):")
        for c in h.causes:
            if c.evidence:
                e = c.evidence
                line = cell(f"  {c.cause}: ", style="dim")
                line.append(cell(f"{e.source}:{e.line} {e.text}"))
                console.print(line, highlight=False, soft_wrap=True)
    if h.outbound:
        console.print(_cause_table("outbound ssh (this host as a client)", h.outbound, width))
    _timeline(console, h, _timeline_cells(width))
    console.print()


def _sources(console: Console, sources: tuple[SourceInfo, ...], width: int = 100) -> None:
    # At 60-80 columns the two middle counts go; lines and unmatched stay.
    cols = ["source", "reader", "lines", "ssh lines", "matched", "unmatched", "note"]
    if width < 90:
        cols = [c for c in cols if c not in ("ssh lines", "matched")]
    if not any(s.error or s.note for s in sources):
        cols.remove("note")
    t = Table(title="sources read", box=box.SIMPLE_HEAD, title_justify="left")
    room = None
    if "note" not in cols:
        # The other columns are as wide as their widest cell; a path longer than what is
        # left keeps its end (the file name), not its start.
        values = {
            "reader": [s.reader for s in sources],
            "lines": [str(s.lines) for s in sources],
            "ssh lines": [str(s.ssh_lines) for s in sources],
            "matched": [str(s.matched) for s in sources],
            "unmatched": [str(s.unmatched) for s in sources],
        }
        others = sum(max([len(c), *map(len, values[c])]) + 3 for c in cols if c != "source")
        room = max(12, width - others - 4)
    for col in cols:
        numeric = col in ("lines", "ssh lines", "matched", "unmatched")
        t.add_column(col, justify="right" if numeric else "left", no_wrap=numeric)
    for s in sources:
        if s.error:
            note = cell(f"ERROR: {s.error}" + (f" ({s.hint})" if s.hint else ""), style="red")
        else:
            note = cell(s.note or "")
        cells: dict[str, Text] = {
            "source": cell(
                s.path if room is None or len(s.path) <= room else "…" + s.path[1 - room :]
            ),
            "reader": cell(s.reader),
            "lines": Text(str(s.lines)),
            "ssh lines": Text(str(s.ssh_lines)),
            "matched": Text(str(s.matched)),
            "unmatched": Text(str(s.unmatched)),
            "note": note,
        }
        t.add_row(*(cells[c] for c in cols))
    console.print(t)


def select(report: Report, layout: Layout) -> tuple[tuple[HostReport, ...], tuple[Advice, ...]]:
    """The hosts and advice items a layout shows (``--host``, ``--top``)."""
    hosts, items = report.hosts, report.advice
    if layout.hosts:
        wanted = set(layout.hosts)
        hosts = tuple(h for h in hosts if h.host in wanted)
        items = tuple(a for a in items if wanted & set(a.hosts or (a.host,)))
    if layout.top is not None:
        items = items[: layout.top]
    return hosts, items


def blocks(report: Report, layout: Layout) -> tuple[tuple[HostConfig, ...], str]:
    """The merged blocks a layout shows, and their heading.

    They hold exactly the changes of the advice items shown: what is pasted is what was
    read. ``--top`` leaves the other items' changes out (the heading says how many items
    are left out); ``--host`` keeps the blocks of those hosts.
    """
    hosts, items = select(report, layout)
    _, every = select(report, Layout(hosts=layout.hosts))
    left_out = len(every) - len(items)
    wanted = set(layout.hosts) or {h for a in items for h in (a.hosts or (a.host,))}
    if left_out and report.merge is not None:
        merged = report.merge(items)
        n = len(items)
        heading = (
            f"configuration per host (the changes of the {plural(n, 'item')} above, merged; "
            f"not those of the other {left_out}, left out by --top)"
        )
    else:
        merged = report.config
        heading = "configuration per host (the changes above, merged)"
        if left_out:  # a report without the merge: say the blocks hold more than is shown
            heading = (
                f"configuration per host (the changes of all {plural(len(every), 'item')}, "
                "merged, not only those above)"
            )
    return tuple(b for b in merged if b.host in wanted), heading


def render(
    report: Report, *, color: bool = False, width: int = 100, layout: Layout | None = None
) -> str:
    """The whole report as terminal text, ``width`` columns at most, no trailing spaces."""
    layout = layout or Layout()
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
    hosts, advice = select(report, layout)
    n = sum(h.connections for h in hosts)
    said = f"logsleuth: {plural(n, 'connection')} on {plural(len(hosts), 'host')}"
    console.print(Text(said, style="bold"))
    if not report.hosts:
        read = [s for s in report.sources if not s.error]
        if not read:
            console.print(Text("nothing was read: see the errors below", style="red"))
        elif sum(s.ssh_lines for s in read) == 0 and any(
            s.note and " ssh lines fall in " in s.note for s in read
        ):
            console.print(
                Text(
                    "no ssh lines fall in the chosen window: the sources below say what they cover",
                    style="yellow",
                )
            )
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
        total = len(select(report, Layout(hosts=layout.hosts))[1])
        _advice(console, advice, width, layout.summary, total)
    if not layout.summary:
        shown, heading = blocks(report, layout)
        _config_blocks(console, shown, width, heading)
    for h in hosts:
        _host(console, h, width, layout.summary)
    if layout.summary:
        return _tidy(buf.getvalue())
    total_ssh = sum(s.ssh_lines for s in report.sources)
    console.print(
        Text(f"unmatched ssh lines: {report.unmatched_count} of {total_ssh}", style="bold")
    )
    for u in report.unmatched[:10]:
        console.print(cell(f"  {u.count:>6}  {u.shape}"), highlight=False, soft_wrap=True)
    console.print()
    _sources(console, report.sources, width)
    seen = {f for h in report.hosts for f in h.families}
    matched = sum(s.matched for s in report.sources)
    cover = f"{100 * matched / total_ssh:.1f}%" if total_ssh else "-"
    families = ", ".join(f for f in (*FAMILIES, "open") if f in seen)
    console.print(
        Text(
            _fill(
                f"coverage: {matched} of {total_ssh} ssh lines classified ({cover}); "
                f"families seen: {families}",
                width,
                "",
            ),
            style="dim",
        ),
        soft_wrap=True,
    )
    if report.coverage is not None:
        _runs(console, report.coverage, width)
    return _tidy(buf.getvalue())


def _when(ts: datetime | None) -> str:
    return f"{ts:%Y-%m-%d %H:%M} UTC" if ts else "-"


def _runs(console: Console, c: Coverage, width: int) -> None:
    """The footer of a stored report: which runs and which span of the log it stands on."""
    said = (
        f"stored data: {plural(c.runs, 'ingest run')} from {_when(c.first_run)} to "
        f"{_when(c.last_run)}; connections from {_when(c.first_line)} to {_when(c.last_line)}"
    )
    _print_lines(console, _fill(said, width, "  ", ""), "dim")
    for path in c.silent_sources:
        # The path is quoted whole (like a log line); the sentence after it is folded.
        console.print(cell(f"WARNING: {path} delivered nothing in these runs:", style="yellow"))
        _print_lines(
            console,
            _fill(
                "no news is not good news here; check that it is still written (rotation, "
                "logging config, permissions)",
                width,
                "  ",
            ),
            "yellow",
        )


def _tidy(text: str) -> str:
    """No trailing spaces (rich pads table cells and blank lines to the width)."""
    return "\n".join(line.rstrip() for line in text.split("\n"))
