"""Connections rebuilt from every real log in ``../shared/corpora`` keep the invariants.

Plain logs go through the product's own readers and ``api.scan`` (the year of each
wild-public file from its SOURCES.md); the test-suite containers of other projects
(fail2ban's failJSON files, Wazuh/OSSEC INI files, SSHGuard's vectors), which no reader
accepts, are unwrapped as ``test_corpora.py`` does and their lines sessionized directly.
The per-file table is printed at the end of the run (``conftest.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.classify import SSH_PROGRAMS, classify_record
from logsleuth.model import Connection, Record
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.sources import expand
from logsleuth.readers.syslog_header import parse_line
from logsleuth.renderers import render
from logsleuth.sessionize import sessionize
from tests import invariants
from tests.test_corpora import CAT, CORPORA, FILES, YEAR, corpus_lines

#: Years of the yearless wild-public logs (their SOURCES.md) and of other dated files.
YEARS = {
    "wild-public/ubuntu1604-laptop-auth.log": 2018,
    "wild-public/ubuntu-2009-hermes-auth.log.2": 2009,
    "wild-public/rhel-verbose-secure.log": 2023,
    "wild-public/centos7-course-secure-20181125": 2018,
    "wild-public/centos6-secure": 2016,
    "wild-public/amazonlinux2-secure": 2021,
    "wild-public/freebsd-auth.log": 2016,
    "wild-public/ubuntu2104-journalctl.txt": 2021,
    "wild-public/ubuntu2104-auth.log.1": 2021,
    "elastic-examples/suspicious_login_activity-auth.log": 2017,
}
#: Test-vector files whose lines of one pid are edited variants (re-addressed, repeated),
#: not one process's history: a pid there cannot be one connection, so the pid-reuse
#: count is shown in the table but not asserted. Every other invariant holds for them.
EDITED_VECTORS = {
    "crowdsec-hub/geoip-enrich/ssh-bf.log": "one pid re-addressed three times in one second",
    "crowdsec-hub/ssh-slow-bf/ssh-slow-bf.log": "one `Invalid user` line repeated for 10 min",
    "crowdsec-hub/ssh-timeout/ssh-timeout.log": "one process's fatal line repeated every 30 s",
    "crowdsec-hub/sshd-logs/sshd-logs.log": "one pid's PAM line re-addressed a second later",
    "fail2ban/sshd": "filter test vectors: variants of a line under one pid",
    "fail2ban/testcase02.log": "`Accepted` repeated by one pid (a filter test)",
    "sshguard/tests.txt": "parser test vectors: one line re-addressed under one pid",
}
LOGS = [p for p in FILES if p.name != "SOURCES.md"]
RESULTS: list[invariants.FileResult] = []
pytestmark = pytest.mark.skipif(not LOGS, reason=f"no corpora at {CORPORA}")


def _container_records(path: Path) -> list[Record]:
    out = []
    for line in corpus_lines(path):
        h = parse_line(line.raw, YEAR)
        if h is not None:
            out.append(Record(h.ts, h.host, h.program, h.pid, h.message, str(path), line.lineno))
    return out


def _records(path: Path, year: int) -> tuple[list[Record], bool]:
    """The file's records, and whether a product reader read them."""
    sources, errors = expand([str(path)])
    if sources and not errors:
        reader = READERS[sources[0].reader]()
        return list(reader.read(str(path), ReadOptions(year=year))), True
    return _container_records(path), False


def _listener_pids(records: list[Record]) -> set[int]:
    pids = set()
    for rec in records:
        if rec.program in SSH_PROGRAMS and rec.pid is not None:
            ev = classify_record(rec, CAT)
            if ev.role in ("server", "drop", "pid-end"):
                pids.add(rec.pid)
    return pids


def connections_of(path: Path, year: int) -> tuple[list[Connection], set[int]]:
    """The file's connections as a full scan builds them, and its listener pids."""
    records, by_reader = _records(path, year)
    if by_reader:
        conns = list(api.scan([str(path)], year=year).connections)
    else:
        events = (classify_record(r, CAT) for r in records if r.program in SSH_PROGRAMS)
        conns = list(sessionize(events))
    return conns, _listener_pids(records)


@pytest.mark.parametrize("path", LOGS, ids=[str(p.relative_to(CORPORA)) for p in LOGS])
def test_real_log_keeps_the_connection_invariants(path: Path) -> None:
    name = str(path.relative_to(CORPORA))
    conns, listeners = connections_of(path, YEARS.get(name, YEAR))
    res = invariants.check(name, conns, listeners)
    RESULTS.append(res)
    exempt = {"pid<10m"} if name in EDITED_VECTORS else set()
    problems = [f"{k}: {v}" for k, vs in res.violations.items() if k not in exempt for v in vs[:5]]
    assert not problems, f"{res.total} violations:\n" + "\n".join(problems)


def _key(c: Connection) -> tuple[object, ...]:
    return (c.host, c.client_ip, c.client_port, c.pids, c.start, c.end, c.family, c.cause)


READABLE = [p for p in LOGS if not expand([str(p)])[1]]


@pytest.mark.parametrize("path", READABLE, ids=[str(p.relative_to(CORPORA)) for p in READABLE])
def test_a_window_selects_whole_connections_of_the_full_scan(path: Path) -> None:
    name = str(path.relative_to(CORPORA))
    year = YEARS.get(name, YEAR)
    full = api.scan([str(path)], year=year).connections
    times = sorted(t for c in full for t in (c.start, c.end) if t is not None)
    if len(times) < 2:
        pytest.skip("no time span to cut")
    # The middle third of the file's time span: connections cross both edges. (One window
    # per file keeps the run short; the edges' logic is one function, api.overlaps.)
    a, b = times[len(times) // 3], times[2 * len(times) // 3]
    for since, until in ((a, b),):
        got = api.scan([str(path)], year=year, since=since, until=until).connections
        want = [c for c in full if api.overlaps(c, since, until)]
        assert sorted(map(_key, got), key=repr) == sorted(map(_key, want), key=repr), (
            since,
            until,
        )


def test_an_empty_window_says_what_the_file_covers() -> None:
    path = CORPORA / "wild-public" / "ubuntu1604-laptop-auth.log"
    if not path.is_file():
        pytest.skip("wild-public corpus absent")
    since = datetime(2020, 1, 1, tzinfo=UTC)
    r = api.scan([str(path)], year=2018, since=since)
    (src,) = r.sources
    assert r.connections == () and src.ssh_lines == 0
    assert src.note == (
        "0 of 168 ssh lines fall in --since 2020-01-01 00:00:00 UTC "
        "(the file covers 2018-08-08 21:43:43 UTC to 2018-08-09 02:31:26 UTC)"
    )
    text = render(r, "text")
    assert "no ssh lines fall in the chosen window" in text
    assert "no ssh lines in the sources read" not in text
