"""The fuzz target shared by the atheris harness and the corpus test: bytes are read as a
syslog file (framing, year rules, repeat counts), every record is classified and fed to a
sessionizer, and the connections are rendered in every format.

The only exception allowed out is :class:`~logsleuth.errors.SourceError` (a source that
cannot be read); anything else is a bug. A rendered report must hold no raw control
character.
"""

from __future__ import annotations

from logsleuth.catalogue import load
from logsleuth.classify import SSH_CLIENT_PROGRAMS, SSH_PROGRAMS, classify_record
from logsleuth.errors import SourceError
from logsleuth.model import Report
from logsleuth.readers import ReadOptions
from logsleuth.readers.syslog import YearGuess, read_syslog_lines
from logsleuth.renderers import RENDERERS, render
from logsleuth.renderers.safe import has_raw_control
from logsleuth.sessionize import Sessionizer

CAT = load()
OPTIONS = ReadOptions(year=2026)


def one_input(data: bytes) -> None:
    """Run one input through reader, classifier and sessionizer; raise on a bug."""
    sess = Sessionizer()
    conns = []
    lines = data.split(b"\n")
    count = 0
    try:
        for rec in read_syslog_lines(lines, "fuzz", OPTIONS, YearGuess(2026)):
            count += 1
            if rec.program in SSH_PROGRAMS:
                conns.extend(sess.feed(classify_record(rec, CAT)))
            elif rec.program in SSH_CLIENT_PROGRAMS:
                sess.feed_outbound(classify_record(rec, CAT, "client"))
    except SourceError:
        return
    conns.extend(sess.finish())
    assert count == len(lines), (count, len(lines))
    report = Report(sources=(), hosts=(), connections=tuple(conns), unmatched_count=0, unmatched=())
    for fmt in RENDERERS:
        out = render(report, fmt)
        if fmt == "csv":
            out = out.replace("\r\n", "\n")
        assert not has_raw_control(out), (fmt, out[:200])
