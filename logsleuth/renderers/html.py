"""One self-contained HTML file: readable in a browser and in a mail client.

No scripts, no external fonts, styles or images: the charts are inline SVG, the style is
one ``<style>`` block (tables also carry ``border`` attributes, for mail clients that
drop it), and a Content-Security-Policy forbids scripts and every fetch should a log
string ever get through. Every string from a log goes through :func:`esc`.
"""

from __future__ import annotations

import html

from logsleuth.diagnose import plural
from logsleuth.model import Advice, Evidence, HostReport, Report
from logsleuth.renderers import svg, view
from logsleuth.renderers.safe import visible
from logsleuth.renderers.tables import Cell, summary

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #222; max-width: 1100px; margin: 1em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
pre, code { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
pre { background: #f6f8fa; border: 1px solid #ddd; padding: 6px 8px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
.abnormal { color: #b71c1c; font-weight: bold; }
.muted { color: #666; }
.chart { display: block; margin: 0.5em 0 1em; max-width: 100%; height: auto; }
"""


def esc(value: Cell) -> str:
    """A value as HTML text: markup characters and quotes escaped, controls made visible."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = visible(value)
    return html.escape(text, quote=True)


def _num(value: Cell) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _table(header: tuple[str, ...], rows: list[tuple[Cell, ...]], cls: str = "") -> str:
    out = [f'<table border="1" cellpadding="3" cellspacing="0"{f" class={cls!r}" if cls else ""}>']
    out.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = "".join(
            f'<td class="n">{esc(v)}</td>' if _num(v) else f"<td>{esc(v)}</td>" for v in row
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _evidence_lines(items: list[tuple[str, Evidence]]) -> str:
    rows: list[tuple[Cell, ...]] = [(label, e.source, e.line, e.text) for label, e in items]
    header = ("cause", "source", "line", "text")
    out = ['<table border="1" cellpadding="3" cellspacing="0" class="evidence">']
    out.append("<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>")
    for label, source, line, text in rows:
        out.append(
            f"<tr><td>{esc(label)}</td><td>{esc(source)}</td>"
            f'<td class="n">{esc(line)}</td><td><code>{esc(text)}</code></td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


def _advice(items: tuple[Advice, ...]) -> str:
    out = ["<h2>What to change</h2>"]
    if not items:
        out.append("<p>Nothing: no connection ended in a way a setting would change.</p>")
        return "\n".join(out)
    out.append("<ol>")
    for a in items:
        hosts = ", ".join(a.hosts or (a.host,))  # an item may span several hosts
        out.append(f"<li><h3>{esc(hosts)}: {esc(a.title)}</h3><p>{esc(a.text)}</p>")
        if a.because:
            out.append("<ul>" + "".join(f"<li>because: {esc(b)}</li>" for b in a.because) + "</ul>")
        if a.snippet:
            snippet = "\n".join(esc(line) for line in a.snippet.splitlines())
            out.append(f'<pre class="snippet">{snippet}</pre>')
        if a.evidence:
            out.append(
                '<pre class="evidence">'
                + "\n".join(esc(f"{e.source}:{e.line}: {e.text}") for e in a.evidence)
                + "</pre>"
            )
        out.append("</li>")
    out.append("</ol>")
    return "\n".join(out)


def _timeline(h: HostReport) -> str:
    chart = svg.timeline(view.timeline(h), esc)
    return f"<h3>Connections per hour, by family</h3>\n{chart}" if chart else ""


def _lengths(report: Report, host: str) -> str:
    durations = [
        c.duration_s
        for c in report.connections
        if c.host == host and c.direction == "inbound" and c.duration_s is not None
    ]
    chart = svg.lengths(durations, esc)
    return f"<h3>Session lengths</h3>\n{chart}" if chart else ""


def _host(report: Report, h: HostReport) -> str:
    abnormal = view.abnormal(h)[0]
    out = [f'<section class="host"><h2>Host {esc(h.host)}</h2>']
    if h.connections:
        counts, share, unexplained = view.ending(h)
        out.append(
            f"<p>{esc(counts)}, "
            f'<span class="{"abnormal" if abnormal else "muted"}">{esc(share)}</span>'
            + (f", {esc(unexplained)}" if unexplained else "")
            + ".</p>"
        )
    else:
        out.append(f"<p>No inbound connections; {view.outbound(h)[1]} outbound.</p>")
    if h.causes:
        rows: list[tuple[Cell, ...]] = [
            (
                c.family,
                c.cause,
                c.count,
                ", ".join(f"{v} ({n})" for v, n in c.top_ips[:3]),
                ", ".join(f"{v} ({n})" for v, n in c.top_users[:3]),
            )
            for c in h.causes
        ]
        out.append(_table(("family", "cause", "connections", "top clients", "top users"), rows))
    drows: list[tuple[Cell, ...]] = list(view.durations(h))
    if drows:
        out.append("<h3>Session length by family (seconds)</h3>")
        out.append(_table(("family", "n", "median", "p90", "max"), drows))
    out.append(_timeline(h))
    out.append(_lengths(report, h.host))
    cited = [(c.cause, c.evidence) for c in h.causes if c.evidence is not None]
    if cited:
        out.append("<h3>Evidence (one line per cause)</h3>")
        out.append(_evidence_lines(cited))
    out.append("</section>")
    return "\n".join(part for part in out if part)


def render(report: Report) -> str:
    """The whole report as one HTML document."""
    n = sum(h.connections for h in report.hosts)
    title = f"logsleuth: {plural(n, 'connection')} on {plural(len(report.hosts), 'host')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    header, rows = summary(report)
    if rows:
        out.append(_table(header, rows))
        out.append(_advice(view.advice(report)))
    elif not any(s.ssh_lines for s in report.sources if not s.error):
        out.append("<p>No ssh lines were read: nothing to judge, not a clean bill of health.</p>")
    out.extend(_host(report, h) for h in report.hosts)
    total_ssh = sum(s.ssh_lines for s in report.sources)
    out.append(f"<h2>Unmatched ssh lines: {report.unmatched_count} of {total_ssh}</h2>")
    if report.unmatched:
        out.append(_table(("count", "shape"), [(u.count, u.shape) for u in report.unmatched[:10]]))
    out.append("<h2>Sources read</h2>")
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
    out.append(
        _table(("source", "reader", "lines", "ssh lines", "matched", "unmatched", "note"), srows)
    )
    out.append("</body></html>\n")
    return "\n".join(out)
