"""Command-line interface: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from logsleuth import __version__, api, schema_doc
from logsleuth.catalogue import ROLES
from logsleuth.diagnose import plural
from logsleuth.errors import CatalogueError, ExitCode, LogsleuthError
from logsleuth.explain import explain_line
from logsleuth.families import FAMILIES, OPEN
from logsleuth.limits import MAX_TIME, MIN_TIME, bounded_int, in_range
from logsleuth.model import Report
from logsleuth.renderers import OutputFormat, TableName, iter_render
from logsleuth.renderers.rows import RowsFormat
from logsleuth.renderers.rows import render as render_rows
from logsleuth.renderers.safe import visible, visible_lines
from logsleuth.renderers.text import Layout

app = typer.Typer(
    help="Why do SSH connections drop, and what should I change?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
patterns_app = typer.Typer(help="Browse and check the pattern catalogue.", no_args_is_help=True)
app.add_typer(patterns_app, name="patterns")


def _fail(message: str | LogsleuthError, code: ExitCode) -> NoReturn:
    # Paths and log text are shown escaped; a catalogue error keeps one problem per line.
    shown = visible_lines(str(message)) if isinstance(message, CatalogueError) else visible(message)
    typer.echo(f"logsleuth: {shown}", err=True)
    raise typer.Exit(int(code))


def _color(option: bool | None) -> bool:
    if option is not None:
        return option
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def parse_when(text: str | None, option: str = "--since") -> datetime | None:
    """`24h`, `7d`, `30m` (ago) or an ISO date/time (UTC unless it says otherwise).

    A value outside the years logsleuth reads (1900-8999) is a usage error naming ``option``.
    """
    if text is None:
        return None
    shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
    out_of_range = typer.BadParameter(
        f"{shown!r} is out of range: give a time between {MIN_TIME:%Y} and {MAX_TIME:%Y}",
        param_hint=option,
    )
    m = re.fullmatch(r"(\d+)\s*([smhdw])", text.strip())
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        amount = bounded_int(m.group(1), 10**12)
        try:
            ago = datetime.now(UTC) - timedelta(**{unit[m.group(2)]: amount or 0})
        except OverflowError:
            amount = None
        if amount is None or in_range(ago) is None:
            raise out_of_range
        return ago
    try:
        ts = datetime.fromisoformat(text)
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except ValueError:
        raise typer.BadParameter(
            f"{shown!r}: use e.g. 24h, 7d or 2026-11-21T06:00", param_hint=option
        ) from None
    except OverflowError:
        raise out_of_range from None
    if in_range(ts) is None:
        raise out_of_range
    return ts


def _emit(text: str | Iterable[str], output: str | None) -> None:
    chunks = [text] if isinstance(text, str) else text
    if output in (None, "-"):
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        with open(str(output), "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        _fail(f"error: cannot write {output}: {exc.strerror or exc}", ExitCode.USAGE)


def _fail_on_values(values: list[str] | None) -> list[str]:
    """``--fail-on``: a family or family/cause; anything else is a usage error."""
    if not values:
        return []  # nothing to check: no catalogue to load (`report` never needs one)
    families = (*FAMILIES, OPEN)
    cat = api.load_catalogue()
    causes = {p.cause for p in cat} | {p.postauth_cause for p in cat if p.postauth_cause}
    for v in values:
        family = v.split("/", 1)[0]
        if family not in families or ("/" in v and v not in causes and not v.endswith("/")):
            if family in families:
                known = sorted(c for c in causes if c.startswith(f"{family}/"))
                listed = ", ".join(known) or "(none in the catalogue)"
                raise typer.BadParameter(
                    f"{v!r} is not a cause of {family}; causes: {listed}", param_hint="--fail-on"
                )
            raise typer.BadParameter(
                f"{v!r} is not a family; use one of {', '.join(families)} "
                "(or FAMILY/CAUSE, see `logsleuth patterns list`)",
                param_hint="--fail-on",
            )
    return values


def _width(output: str | None) -> int:
    """Columns to fit: the terminal's, else $COLUMNS, else 100."""
    if output not in (None, "-"):
        return 100
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def _page(text: str) -> None:
    """Through a pager when the report is longer than the terminal."""
    if text.count("\n") < shutil.get_terminal_size((100, 24)).lines:
        sys.stdout.write(text)
        return
    command = shlex.split(os.environ.get("PAGER") or "less -FRX")
    if not command or shutil.which(command[0]) is None:
        sys.stdout.write(text)
        return
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    try:
        subprocess.run(command, input=text.encode("utf-8"), env=env, check=False)
    except OSError:
        sys.stdout.write(text)


def _exit_for(report: Report, fail_on: list[str]) -> ExitCode:
    for s in report.sources:
        if s.error:
            typer.echo(
                visible(
                    f"logsleuth: error: {s.path}: {s.error}" + (f" ({s.hint})" if s.hint else "")
                ),
                err=True,
            )
    if report.sources and all(s.error for s in report.sources):
        return ExitCode.NO_INPUT
    if any(s.error for s in report.sources):
        return ExitCode.NO_INPUT
    if fail_on:
        seen = {f for h in report.hosts for f, n in h.families.items() if n}
        seen |= {c.family for h in report.hosts for c in h.outbound}
        seen |= {c.cause for h in report.hosts for c in (*h.causes, *h.outbound)}
        if seen & set(fail_on):
            return ExitCode.FINDINGS
    return ExitCode.OK


def nothing_to_report(report: Report) -> bool:
    """No advice, no finding, no abnormal end, no source error and no silent source."""
    return (
        not report.advice
        and not report.findings
        and all(h.abnormal == 0 for h in report.hosts)
        and not any(s.error for s in report.sources)
        and not (report.coverage and report.coverage.silent_sources)
    )


# Where `scan` and `ingest` read from: one definition for both.
ReaderOption = Annotated[
    str,
    typer.Option(
        "--reader",
        help="Format of the files given: auto (detected from the content) or one of "
        f"{', '.join(api.READERS)}.",
    ),
]
PatternsOption = Annotated[
    list[str] | None,
    typer.Option("--patterns", help="Extra pattern directory or file (repeatable)."),
]
JournalOption = Annotated[bool, typer.Option("--journal", help="Read the local journal.")]
JournalDirOption = Annotated[
    list[str] | None,
    typer.Option("--journal-dir", help="Read the journal files in a directory (repeatable)."),
]
JournalFileOption = Annotated[
    list[str] | None, typer.Option("--journal-file", help="Read one journal file (repeatable).")
]

# Options `scan` and `report` share: one definition, the same behaviour in both.
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
TableOption = Annotated[
    TableName, typer.Option("--table", help="Which table `--format csv` writes.")
]
OutputOption = Annotated[
    str | None, typer.Option("--output", "-o", help="Write to a file (`-` = stdout).")
]
FailOnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a connection of this family (or FAMILY/CAUSE) is seen (repeatable).",
        callback=_fail_on_values,
    ),
]
ColorOption = Annotated[
    bool | None, typer.Option("--color/--no-color", help="Force colour on or off.")
]
SummaryOption = Annotated[
    bool, typer.Option("--summary", help="Only the advice and one table per host.")
]
TopOption = Annotated[
    int | None, typer.Option("--top", min=1, help="Only the N most harmful advice items.")
]
HostOption = Annotated[
    list[str] | None, typer.Option("--host", help="Only this host (repeatable).")
]
PagerOption = Annotated[
    bool, typer.Option("--pager/--no-pager", help="Page long text reports on a terminal.")
]


def _check_hosts(wanted: Iterable[str], known: Iterable[str]) -> None:
    """``--host``: a host the report does not know is a usage error that lists the known."""
    hosts = sorted(set(known))
    unknown = sorted(set(wanted) - set(hosts))
    if unknown:
        _fail(
            f"--host {', '.join(unknown)}: not in the report (hosts: {', '.join(hosts) or 'none'})",
            ExitCode.USAGE,
        )


def _show(
    report: Report,
    fmt: OutputFormat,
    *,
    table: TableName,
    output: str | None,
    color: bool | None,
    layout: Layout,
    pager: bool,
) -> None:
    """Render and write a report: text fits the terminal and pages when it is one."""
    colour = _color(color) and output in (None, "-")
    chunks = iter_render(
        report, fmt.value, color=colour, table=table.value, width=_width(output), layout=layout
    )
    if fmt is OutputFormat.text and pager and output in (None, "-") and sys.stdout.isatty():
        _page("".join(chunks))
    else:
        _emit(chunks, output)


@app.command()
def scan(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Log files, directories or globs; `-` reads stdin. Default: /var/log/auth.log, "
            "else /var/log/secure, else the journal."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.text,
    table: TableOption = TableName.connections,
    output: OutputOption = None,
    year: Annotated[
        int | None,
        typer.Option(
            help="Year of the first yearless (RFC 3164) line; later lines follow the dates "
            "into the next year. Default: from the file's mtime.",
            min=MIN_TIME.year,
            max=MAX_TIME.year - 1,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="Zone of times written without an offset (RFC 3164 lines), as a zoneinfo "
            "name such as Europe/Berlin. Default: this machine's zone; journalctl output "
            "uses the zone its header names.",
        ),
    ] = None,
    reader: ReaderOption = "auto",
    patterns: PatternsOption = None,
    journal: JournalOption = False,
    journal_dir: JournalDirOption = None,
    journal_file: JournalFileOption = None,
    since: Annotated[str | None, typer.Option(help="Only lines after this (24h, 7d, ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="Only lines before this.")] = None,
    sshd_config: Annotated[
        list[str] | None,
        typer.Option(
            "--sshd-config",
            help="HOST=FILE (or FILE for every host): sshd_config or `sshd -T` output; the "
            "advice compares with it (repeatable).",
        ),
    ] = None,
    fail_on: FailOnOption = None,
    color: ColorOption = None,
    summary: SummaryOption = False,
    top: TopOption = None,
    host: HostOption = None,
    pager: PagerOption = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress line on stderr.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=8,
            help="Processes to share the hosts among (1: one process). Default: 2 for "
            "16 MiB or more of several hosts' logs when a CPU is idle. Same report either way.",
        ),
    ] = None,
) -> None:
    """Report why SSH connections ended, per host, with evidence and fixes."""
    text = _transcript(paths or [])
    if text is not None:
        typer.echo(
            "logsleuth: this is an ssh client transcript; triaging it (`logsleuth triage`)",
            err=True,
        )
        _triage(text, "json" if fmt is OutputFormat.json else "text", [], False, output)
        return
    try:
        # The report's connections are read from the in-memory store as they are written.
        with api.open_scan(
            paths or [],
            year=year,
            patterns_dirs=patterns or [],
            journal=journal,
            journal_dirs=journal_dir or [],
            journal_files=journal_file or [],
            since=parse_when(since, "--since"),
            until=parse_when(until, "--until"),
            sshd_config=sshd_config or [],
            reader=reader,
            tz=tz,
            progress=None if quiet or not sys.stderr.isatty() else _progress(),
            jobs=jobs,
        ) as report:
            _check_hosts(host or (), (h.host for h in report.hosts))
            layout = Layout(summary=summary, top=top, hosts=tuple(host or ()))
            _show(report, fmt, table=table, output=output, color=color, layout=layout, pager=pager)
            code = _exit_for(report, fail_on or [])
    except LogsleuthError as exc:
        _fail(exc, exc.exit_code)
    raise typer.Exit(int(code))


def _progress() -> Callable[[str, int], None]:
    """A one-line progress display on stderr (rich), updated as sources are read."""
    from rich.console import Console
    from rich.status import Status

    console = Console(stderr=True)
    shown: list[Status] = []

    def update(source: str, lines: int) -> None:
        if lines < 0:
            for status in shown:
                status.stop()
            shown.clear()
            return
        text = f"reading {source}: {lines:,} lines"
        if not shown:
            shown.append(console.status(text))
            shown[0].start()
        shown[0].update(text)

    return update


DB_HELP = (
    "The database file. Default: /var/lib/logsleuth/logsleuth.duckdb as root, else "
    "$XDG_STATE_HOME/logsleuth/logsleuth.duckdb."
)
WAIT_HELP = "Seconds to wait for another ingest or report holding the database."


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Log files, directories or globs. Default: /var/log/auth.log, else "
            "/var/log/secure, else the journal."
        ),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    year: Annotated[
        int | None, typer.Option(help="Year of the first yearless (RFC 3164) line.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Zone of times written without an offset.")
    ] = None,
    reader: ReaderOption = "auto",
    patterns: PatternsOption = None,
    journal: JournalOption = False,
    journal_dir: JournalDirOption = None,
    journal_file: JournalFileOption = None,
    sshd_config: Annotated[
        str | None,
        typer.Option("--sshd-config", help="sshd_config or `sshd -T` output (LoginGraceTime)."),
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help=WAIT_HELP)] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Read what is new in the logs into a database (for cron or a systemd timer)."""
    try:
        result = api.ingest(
            paths or [],
            db=db,
            year=year,
            patterns_dirs=patterns or [],
            journal=journal,
            journal_dirs=journal_dir or [],
            journal_files=journal_file or [],
            sshd_config=sshd_config,
            reader=reader,
            tz=tz,
            wait=wait,
        )
    except LogsleuthError as exc:
        _fail(exc, exc.exit_code)
    code = ExitCode.OK
    for s in result.sources:
        if s.error:
            code = ExitCode.NO_INPUT
            typer.echo(
                visible(
                    f"logsleuth: error: {s.path}: {s.error}" + (f" ({s.hint})" if s.hint else "")
                ),
                err=True,
            )
    if not quiet:
        r = result.run
        typer.echo(
            f"run {r.id}: {plural(r.lines, 'new line')} ({r.ssh_lines} ssh) from "
            f"{plural(len(result.sources), 'source')}, "
            f"{plural(r.connections, 'connection')} stored"
            + (
                f", {result.pending} still open or settling (kept for the next run; "
                "`report` shows them)"
                if result.pending
                else ""
            )
        )
        for s in result.sources:
            typer.echo(visible(f"  {s.path}: {s.lines} lines" + (f" ({s.note})" if s.note else "")))
    raise typer.Exit(int(code))


@app.command("report")
def report_command(
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    lake: Annotated[
        str | None,
        typer.Option("--lake", help="Report over a Parquet lake written by `export --parquet`."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Connections that ended after this (24h, 7d, ISO).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Connections that began before this.")] = None,
    host: HostOption = None,
    fmt: FormatOption = OutputFormat.text,
    table: TableOption = TableName.connections,
    output: OutputOption = None,
    sshd_config: Annotated[
        str | None,
        typer.Option(
            "--sshd-config", help="sshd_config or `sshd -T` output, to compute silence windows."
        ),
    ] = None,
    fail_on: FailOnOption = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print nothing when there is nothing to report (no advice, finding, "
            "abnormal end, source error or silent source).",
        ),
    ] = False,
    wait: Annotated[float, typer.Option("--wait", help=WAIT_HELP)] = 60.0,
    color: ColorOption = None,
    summary: SummaryOption = False,
    top: TopOption = None,
    pager: PagerOption = True,
) -> None:
    """Report over what `logsleuth ingest` stored (or a fleet's Parquet lake with --lake)."""
    hosts = tuple(dict.fromkeys(host or ()))
    layout = Layout(summary=summary, top=top, hosts=hosts)

    def show(rep: Report) -> None:
        if not (quiet and nothing_to_report(rep)):
            _show(rep, fmt, table=table, output=output, color=color, layout=layout, pager=pager)

    if lake is not None:
        try:
            rep = api.report_lake(
                lake, since=parse_when(since), until=parse_when(until), sshd_config=sshd_config
            )
        except LogsleuthError as exc:
            _fail(f"error: {exc}", exc.exit_code)
        _check_hosts(hosts, (h.host for h in rep.hosts))
        show(rep)
        raise typer.Exit(int(_exit_for(rep, fail_on or [])))
    try:
        if hosts:  # a host with nothing in the window is no error: a quiet day stays quiet
            _check_hosts(hosts, api.stored_hosts(db, wait=wait))
        # Every host is reported on and --host selects what is shown, as in `scan`: an
        # item that spans several hosts (the same clients dropping everywhere) stays right.
        with api.open_report(
            db, since=parse_when(since), until=parse_when(until), sshd_config=sshd_config, wait=wait
        ) as report:
            show(report)
            code = _exit_for(report, fail_on or [])
    except LogsleuthError as exc:
        _fail(exc, exc.exit_code)
    raise typer.Exit(int(code))


class TriageFormat(StrEnum):
    """Triage output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


#: Triage reads at most this much of a paste (a long `ssh -vvv` session is well below).
MAX_PASTE = 8 << 20


def _read_input(path: str) -> str:
    """The text of a file or of stdin (`-`), for triage: at most :data:`MAX_PASTE` bytes."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_PASTE + 1)
        else:
            with open(path, "rb") as fh:  # also a FIFO or a device: read with the bound
                data = fh.read(MAX_PASTE + 1)
    except FileNotFoundError:
        _fail(
            f"error: {path}: no such file (check the path, or pipe the output into "
            "`logsleuth triage -`)",
            ExitCode.NO_INPUT,
        )
    except PermissionError:
        _fail(
            f"error: {path}: permission denied (run with sudo, or copy the file somewhere "
            "readable)",
            ExitCode.NO_INPUT,
        )
    except IsADirectoryError:
        _fail(f"error: {path}: is a directory; give a file or `-`", ExitCode.NO_INPUT)
    if len(data) > MAX_PASTE:
        typer.echo(
            visible(
                f"logsleuth: {path}: read the first {MAX_PASTE >> 20} MiB; the rest was ignored "
                "(paste only the failing connection)"
            ),
            err=True,
        )
        data = data[:MAX_PASTE]
    return data.decode("utf-8", "replace")


def _triage(
    text: str, fmt: str, server_log: list[str], anonymize: bool, output: str | None
) -> None:
    from logsleuth.triage import render_triage, triage_text

    try:
        results = triage_text(text, server_log=server_log, anonymize=anonymize)
    except LogsleuthError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    _emit(render_triage(results, fmt), output)


@app.command()
def triage(
    path: Annotated[
        str, typer.Argument(help="A saved transcript; `-` (default) reads stdin.")
    ] = "-",
    fmt: Annotated[TriageFormat, typer.Option("--format", "-f")] = TriageFormat.text,
    server_log: Annotated[
        list[str] | None,
        typer.Option("--server-log", help="The server's log, to join what it saw (repeatable)."),
    ] = None,
    anonymize: Annotated[
        bool,
        typer.Option("--anonymize", help="Replace IPs, hosts, users, fingerprints and home paths."),
    ] = False,
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Paste `ssh -vvv` (or PuTTY) output: the stage it reached, the cause and the fix."""
    _triage(_read_input(path), fmt.value, server_log or [], anonymize, output)


def _transcript(paths: list[str]) -> str | None:
    """The text of a single source that is an ssh client transcript, else None."""
    if len(paths) != 1:
        return None
    from logsleuth.triage import looks_like_transcript

    path = paths[0]
    try:
        if path == "-":
            stdin = sys.stdin.buffer
            # Peek without consuming, so the syslog reader still sees every byte.
            head = stdin.peek(65536)[:65536] if isinstance(stdin, io.BufferedReader) else b""
        elif Path(path).is_file():
            with open(path, "rb") as fh:
                head = fh.read(65536)
        else:
            return None
    except OSError:
        return None
    if head[:2] == b"\x1f\x8b" or not looks_like_transcript(head.decode("utf-8", "replace")):
        return None
    return _read_input(path)


@app.command()
def explain(
    line: Annotated[str, typer.Argument(help="One log line (with or without its header).")],
    patterns: Annotated[list[str] | None, typer.Option("--patterns")] = None,
) -> None:
    """Show which catalogue entry matches a line, its fields, family, cause and remedy."""
    try:
        cat = api.load_catalogue(patterns or [])
    except LogsleuthError as exc:
        _fail(exc, exc.exit_code)
    ex = explain_line(line, cat)
    typer.echo(f"message: {ex.message}")
    if ex.pattern is None:
        typer.echo(f"unmatched: {ex.reason}")
        raise typer.Exit(int(ExitCode.FINDINGS))
    p = ex.pattern
    typer.echo(f"entry:   {p.id} {p.name} ({p.side}, {p.file})")
    typer.echo(f"family:  {p.family}\ncause:   {p.cause}\nrole:    {p.role}")
    if p.postauth_family:
        typer.echo(f"after authentication: {p.postauth_family} / {p.postauth_cause}")
    for k, v in ex.fields.items():
        typer.echo(f"field:   {k} = {v}")
    if ex.level or ex.phase:
        typer.echo(f"level:   {ex.level or '-'}   phase: {ex.phase or '-'}")
    typer.echo(f"summary: {p.summary}\n\n{p.explanation}\n\nremedy:\n{p.remedy}")


@patterns_app.command("list")
def patterns_list(
    patterns: Annotated[list[str] | None, typer.Option("--patterns")] = None,
    side: Annotated[str | None, typer.Option(help="server or client")] = None,
) -> None:
    """List every catalogue entry: id, name, family, cause."""
    cat = api.load_catalogue(patterns or [])
    for p in cat:
        if side in (None, p.side):
            typer.echo(f"{p.id}  {p.side:<6}  {p.family:<20} {p.cause:<40} {p.name}")


@patterns_app.command("show")
def patterns_show(
    pattern_id: Annotated[str, typer.Argument(metavar="ID")],
    patterns: Annotated[list[str] | None, typer.Option("--patterns")] = None,
) -> None:
    """Show one entry: regex, explanation, remedy, samples."""
    cat = api.load_catalogue(patterns or [])
    p = cat.get(pattern_id.upper())
    if p is None:
        _fail(f"no entry {pattern_id!r}; see `logsleuth patterns list`", ExitCode.USAGE)
    typer.echo(
        f"{p.id} {p.name}\n  side: {p.side}  family: {p.family}  cause: {p.cause}  "
        f"role: {p.role} ({ROLES[p.role]})  priority: {p.priority}"
    )
    if p.versions:
        typer.echo(f"  OpenSSH versions: {p.versions}")
    typer.echo(f"  regex: {p.regex}\n\n{p.summary}\n\n{p.explanation}\n\nremedy:\n{p.remedy}\n")
    for s in p.samples:
        typer.echo(f"  sample: {s.line}")
    for n in p.nonmatch:
        typer.echo(f"  not:    {n}")


@patterns_app.command("check")
def patterns_check(
    directory: Annotated[list[str] | None, typer.Argument(help="Extra pattern dirs/files.")] = None,
) -> None:
    """Validate the catalogue (and extra pattern files): regexes, samples, near-misses."""
    try:
        cat = api.load_catalogue(directory or [])
    except CatalogueError as exc:
        _fail(exc, exc.exit_code)
    typer.echo(f"ok: {len(cat)} entries")


@app.command()
def export(
    parquet: Annotated[
        str, typer.Option("--parquet", help="The lake directory (created if missing).")
    ],
    db: Annotated[str, typer.Option("--db", help="The database `logsleuth ingest --db` fills.")],
) -> None:
    """Append the stored connections to a Hive-partitioned Parquet lake (docs/lake.md)."""
    try:
        result = api.export_parquet(db, parquet)
    except LogsleuthError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    if result.skipped:
        typer.echo(f"logsleuth: {parquet} already holds this data; nothing written", err=True)
        return
    rows = ", ".join(f"{n} {t}" for t, n in result.rows.items())
    typer.echo(
        f"logsleuth: run {result.run_id}: {rows}; {result.files} files, {result.bytes} bytes",
        err=True,
    )


@app.command("sql")
def sql_command(
    query: Annotated[
        str | None,
        typer.Argument(help='A query, e.g. "SELECT family, count(*) FROM connections GROUP BY 1".'),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="The database `logsleuth ingest --db` fills.")
    ] = None,
    fmt: Annotated[RowsFormat, typer.Option("--format", "-f")] = RowsFormat.text,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the tables and columns (docs/schema.md).")
    ] = False,
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Ask the stored connections anything, read-only, in SQL (tables: docs/schema.md)."""
    if schema:
        _emit(schema_doc.page(), output)
        return
    if query is None:
        _fail('give a query, e.g. logsleuth sql --db FILE "SELECT * FROM sources"', ExitCode.USAGE)
    if db is None:
        _fail("give --db FILE: the database `logsleuth ingest --db FILE` fills", ExitCode.USAGE)
    try:
        names, rows = api.sql(query, db)
    except LogsleuthError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    _emit(render_rows(names, rows, fmt.value), output)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"logsleuth {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Why do SSH connections drop, and what should I change?"""


class _WithoutPandas:
    """An import finder that refuses pandas, for the command-line process only.

    pyarrow looks for pandas (importing it, ~0.4 s of CPU) the first time it converts
    Python values, as ``ingest`` does with its events; logsleuth never hands it pandas
    objects, so where pandas happens to be installed (it is no dependency) a command
    does not load it for nothing. Without pandas pyarrow converts the same values the
    same way.
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r} (unused here)", name=name)


def main() -> None:
    """Entry point of the `logsleuth` console script."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    try:
        app()
    except CatalogueError as exc:
        typer.echo(f"logsleuth: {visible_lines(str(exc))}", err=True)
        sys.exit(int(exc.exit_code))
    except LogsleuthError as exc:
        typer.echo(f"logsleuth: {visible(exc)}", err=True)
        sys.exit(int(exc.exit_code))
