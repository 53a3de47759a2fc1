"""The fast path and the plain reference path give the same connections.

The fast path (the everyday syslog header parsed inline with a cached time stamp, the
catalogue dispatched on literal prefixes and matched with stdlib ``re``) must change
nothing but the speed. The plain path (``plain=True``: every header through the general
expressions, every message tried against every catalogue entry in order with the
loader's compiled regexes) is the reference. Compared over every file of
``../shared/corpora`` (the wild-public files with their year from SOURCES.md) and the
bundled samples: the same connections, field for field, and the same counts of matched
and unmatched lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.catalogue import _PHASE_RE, split_envelope
from logsleuth.classify import SSH_CLIENT_PROGRAMS, SSH_PROGRAMS, classify_record
from logsleuth.readers.sources import expand
from logsleuth.readers.syslog_header import LocalClock, parse_fields
from logsleuth.sessionize import sessionize
from tests.test_corpora import CAT, CORPORA, FILES, YEAR, corpus_lines
from tests.test_real_invariants import YEARS, _container_records

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "sample_logs" / "auth.log", ROOT / "sample_logs" / "auth-precise.log"]
LOGS = [p for p in FILES if p.name != "SOURCES.md"]
READABLE = [p for p in LOGS if not expand([str(p)])[1]]
CONTAINERS = [p for p in LOGS if p not in READABLE]
no_corpora = pytest.mark.skipif(not LOGS, reason=f"no corpora at {CORPORA}")


def _name(path: Path) -> str:
    return str(path.relative_to(CORPORA)) if path.is_relative_to(CORPORA) else path.name


def _scan_both(path: Path, year: int) -> None:
    fast = api.scan([str(path)], year=year)
    plain = api.scan([str(path)], year=year, plain=True)
    assert fast.connections == plain.connections
    assert [(s.lines, s.ssh_lines, s.matched, s.unmatched, s.note) for s in fast.sources] == [
        (s.lines, s.ssh_lines, s.matched, s.unmatched, s.note) for s in plain.sources
    ]
    assert fast.unmatched == plain.unmatched


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_give_the_same_report_both_ways(path: Path) -> None:
    _scan_both(path, 2026)


@no_corpora
@pytest.mark.parametrize("path", READABLE, ids=[_name(p) for p in READABLE])
def test_a_corpus_log_gives_the_same_connections_both_ways(path: Path) -> None:
    _scan_both(path, YEARS.get(_name(path), YEAR))


@no_corpora
@pytest.mark.parametrize("path", CONTAINERS, ids=[_name(p) for p in CONTAINERS])
def test_a_test_vector_file_gives_the_same_connections_both_ways(path: Path) -> None:
    """Files no reader accepts (other projects' test containers): their unwrapped lines."""
    records = [r for r in _container_records(path) if r.program in SSH_PROGRAMS]
    fast = [classify_record(r, CAT) for r in records]
    plain = [classify_record(r, CAT, plain=True) for r in records]
    assert fast == plain
    assert list(sessionize(fast)) == list(sessionize(plain))


@no_corpora
def test_every_corpus_line_gets_the_same_header_and_entry_both_ways() -> None:
    """Line by line, every file: the header parse and the catalogue entry agree."""
    clock = LocalClock()
    lines = entries = 0
    for path in LOGS:
        for line in corpus_lines(path):
            flaws_fast: list[str] = []
            flaws_plain: list[str] = []
            fast = parse_fields(line.raw, YEAR, clock, flaws_fast)
            assert fast == parse_fields(line.raw, YEAR, clock, flaws_plain, plain=True), line
            assert flaws_fast == flaws_plain
            lines += 1
            message = fast[4] if fast is not None else line.raw
            level, body, _ = split_envelope(message)
            if fast is None:
                sides: tuple[str, ...] = ("server", "client")
            else:
                sides = ("client",) if fast[2] in SSH_CLIENT_PROGRAMS else ("server",)
            for side in sides:
                got, want = CAT.match(body, side, level), CAT.match_plain(body, side, level)
                assert (got and (got[0].id, got[1])) == (want and (want[0].id, want[1])), body
                entries += got is not None
    assert lines > 1000 and entries > 500


def test_the_dispatcher_agrees_with_the_plain_order_on_every_sample() -> None:
    """Catalogue samples and near-misses, at every level an entry allows."""
    for p in CAT:
        for text in [s.line for s in p.samples] + list(p.nonmatch):
            level, body, _ = split_envelope(text)
            for lv in {level, *p.levels}:
                got, want = CAT.match(body, p.side, lv), CAT.match_plain(body, p.side, lv)
                assert (got and got[0].id) == (want and want[0].id), text


@pytest.mark.parametrize(
    "message",
    [
        "error: kex_exchange_identification: read: Connection reset by peer",
        "fatal: Timeout before authentication for 192.0.2.1 port 4242 [preauth]",
        "Connection closed by 192.0.2.1 port 22 [postauth]",
        "debug1: x [preauth]\n",
        "debug4: not a level [preauth] ",
        "x  [preauth]",
        "[preauth]",
        "a [b [preauth]",
        "error:no space",
        "",
    ],
)
def test_split_envelope_reads_levels_and_phases_like_its_expressions(message: str) -> None:
    level = next(
        (
            lv
            for lv in ("error", "fatal", "debug1", "debug2", "debug3")
            if message.startswith(lv + ": ")
        ),
        None,
    )
    body = message[len(level) + 2 :] if level else message
    phase = None
    m = _PHASE_RE.search(body)
    if m:
        phase, body = m.group(1), body[: m.start()]
    assert split_envelope(message) == (level, body.rstrip(), phase)


def test_the_client_programs_are_classified_on_their_side() -> None:
    """``ssh`` lines take the client side of the dispatcher (a separate table)."""
    assert SSH_CLIENT_PROGRAMS
    body = "Connection to example.org closed."
    got, want = CAT.match(body, "client"), CAT.match_plain(body, "client")
    assert got is not None and want is not None and got[0].id == want[0].id
