"""Markdown (CommonMark + GitHub tables): the daily mail or a ticket body.

Log text is either inside a fenced block whose fence is longer than any backtick run in
it, or backslash-escaped so that no character of it becomes markup, a link or HTML.
"""

from __future__ import annotations

import re

from logsleuth.diagnose import plural
from logsleuth.model import Advice, HostReport, Report
from logsleuth.renderers import view
from logsleuth.renderers.safe import visible_lines
from logsleuth.renderers.tables import Cell, summary

# The characters that start markup anywhere in a line (emphasis, code, links, HTML,
# entities, tables, strikethrough, headings' closing marks, GitHub math and mentions).
_PUNCT = re.compile(r"([\\`*_\[\]<>&|~#$@])")
# What starts a block (list, quote, heading, setext underline) at the start of a line.
_BLOCK_START = re.compile(r"^(\s*)([-+=])|^(\s*\d+)([.)])")


def _controls(text: str) -> str:
    return visible_lines(text)


def inline(value: Cell) -> str:
    """A value as inline Markdown text: every character that could start markup escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    text = _controls(str(value)).replace("\r", " ").replace("\n", " ")
    text = _PUNCT.sub(r"\\\1", text)
    return _BLOCK_START.sub(
        lambda m: f"{m.group(1) or m.group(3) or ''}\\{m.group(2) or m.group(4)}", text, count=1
    )


def fence(body: str, info: str = "") -> str:
    """A fenced code block: the fence is one backtick longer than the longest run inside."""
    body = _controls(body)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{body}\n{marks}\n"


def table(header: tuple[str, ...], rows: list[tuple[Cell, ...]], right: set[int]) -> str:
    """A GitHub table; columns whose index is in ``right`` are right-aligned."""
    out = ["| " + " | ".join(inline(h) for h in header) + " |"]
    out.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    out.extend("| " + " | ".join(inline(v) for v in row) + " |" for row in rows)
    return "\n".join(out) + "\n"


def _advice(items: tuple[Advice, ...]) -> list[str]:
    out = ["## What to change\n"]
    if not items:
        out.append("Nothing: no connection ended in a way a setting would change.\n")
    for i, a in enumerate(items, 1):
        hosts = ", ".join(a.hosts or (a.host,))  # an item may span several hosts
        out.append(f"### {i}. {inline(hosts)}: {inline(a.title)}\n")
        out.append(inline(a.text) + "\n")
        out.extend(f"- because: {inline(b)}" for b in a.because)
        if a.because:
            out.append("")
        if a.snippet:
            out.append(fence(a.snippet))
        if a.evidence:
            out.append("Evidence:\n")
            out.append(fence("\n".join(f"{e.source}:{e.line}: {e.text}" for e in a.evidence)))
    return out


def _host(h: HostReport) -> list[str]:
    out = [f"## Host {inline(h.host)}\n"]
    if h.connections:
        out.append(", ".join(part for part in view.ending(h) if part) + ".\n")
    else:
        out.append(f"No inbound connections; {view.outbound(h)[1]} outbound.\n")
    if h.causes:
        rows: list[tuple[Cell, ...]] = [
            (
                c.family,
                c.cause.split("/", 1)[-1],
                c.count,
                ", ".join(f"{v} ({n})" for v, n in c.top_ips[:3]),
                ", ".join(f"{v} ({n})" for v, n in c.top_users[:3]),
            )
            for c in h.causes
        ]
        header = ("family", "cause", "connections", "top clients", "top users")
        out.append(table(header, rows, {2}))
    drows: list[tuple[Cell, ...]] = list(view.durations(h))
    if drows:
        out.append("Session length by family (seconds):\n")
        out.append(table(("family", "n", "median", "p90", "max"), drows, {1, 2, 3, 4}))
    cited = [c for c in h.causes if c.evidence]
    if cited:
        out.append("Evidence (one line per cause):\n")
        lines = []
        for c in cited:
            assert c.evidence is not None
            lines.append(f"[{c.cause}] {c.evidence.source}:{c.evidence.line}: {c.evidence.text}")
        out.append(fence("\n".join(lines), "text"))
    return out


def render(report: Report) -> str:
    """The whole report as Markdown."""
    n = sum(h.connections for h in report.hosts)
    out = [f"# logsleuth: {plural(n, 'connection')} on {plural(len(report.hosts), 'host')}\n"]
    header, rows = summary(report)
    if rows:
        out.append(table(header, rows, {1, 2, 3, 4}))
    elif not any(s.ssh_lines for s in report.sources if not s.error):
        out.append("No ssh lines were read: nothing to judge, not a clean bill of health.\n")
    if report.hosts:
        out.extend(_advice(view.advice(report)))
    for h in report.hosts:
        out.extend(_host(h))
    total_ssh = sum(s.ssh_lines for s in report.sources)
    out.append(f"## Unmatched ssh lines: {report.unmatched_count} of {total_ssh}\n")
    if report.unmatched:
        out.append(fence("\n".join(f"{u.count:>6}  {u.shape}" for u in report.unmatched[:10])))
    out.append("## Sources read\n")
    srows: list[tuple[Cell, ...]] = [
        (
            s.path,
            s.reader,
            s.lines,
            s.ssh_lines,
            s.matched,
            s.unmatched,
            f"ERROR: {s.error}" + (f" ({s.hint})" if s.hint else "") if s.error else s.note,
        )
        for s in report.sources
    ]
    header_s = ("source", "reader", "lines", "ssh lines", "matched", "unmatched", "note")
    out.append(table(header_s, srows, {2, 3, 4, 5}))
    return "\n".join(out)
