"""Incremental ingest: two runs over a grown or rotated log equal one run over all of it,
and scan equals ingest + report."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.renderers import render
from tests.zone import utc_zone

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_logs" / "auth.log"
LINES = SAMPLE.read_bytes().splitlines(keepends=True)


@pytest.fixture(autouse=True)
def utc():
    with utc_zone():
        yield


def parts(*cuts: int) -> list[bytes]:
    bounds = [0, *cuts, len(LINES)]
    return [b"".join(LINES[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def comparable(report, lines: bool = True) -> dict:
    """The report as JSON, without what names files or runs (rotation renames files, and
    a new file numbers its lines from 1: ``lines=False`` drops line numbers too)."""
    doc = json.loads(render(report, "json"))
    doc.pop("sources")
    doc.pop("coverage")

    def strip(node):
        if isinstance(node, dict):
            drop = ("source",) if lines else ("source", "line")
            return {k: ("-" if k in drop else strip(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(doc)


@pytest.fixture(scope="module")
def catalogue():
    return api.load_catalogue()


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    path = tmp_path_factory.mktemp("whole") / "auth.log"
    path.write_bytes(b"".join(LINES))
    with utc_zone():
        report = api.scan([str(path)], year=2026)
    return comparable(report), comparable(report, lines=False)


def ingest(db: Path, *paths: Path):
    return api.ingest([str(p) for p in paths], db=str(db), year=2026, wait=5)


def stored(db: Path, lines: bool = True):
    return comparable(api.report(str(db)), lines)


def test_scan_equals_ingest_then_report(tmp_path, whole):
    log = tmp_path / "auth.log"
    log.write_bytes(b"".join(LINES))
    ingest(tmp_path / "s.duckdb", log)
    assert stored(tmp_path / "s.duckdb") == whole[0]


def test_a_grown_file_is_read_on_from_where_it_stopped(tmp_path, whole):
    a, b = parts(2100)
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(a)
    first = ingest(db, log)
    assert first.run.lines == 2100
    with log.open("ab") as fh:
        fh.write(b)
    second = ingest(db, log)
    assert second.run.lines == len(LINES) - 2100
    third = ingest(db, log)
    assert third.run.lines == 0 and third.run.connections == 0
    assert stored(db) == whole[0]


def test_a_line_being_written_is_left_for_the_next_run(tmp_path, whole):
    a, b = parts(1500)
    cut = len(b) // 2 + 7
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(a + b[:cut])  # the writer is in the middle of a line
    ingest(db, log)
    with log.open("ab") as fh:
        fh.write(b[cut:])
    ingest(db, log)
    assert stored(db) == whole[0]


def test_open_connections_are_what_report_computes_from_the_state(tmp_path):
    """The run's `open_connections` (ended by the run's own sessionizer) equal the
    connections `report` gets by ending a copy restored from the saved live state."""
    from logsleuth.ingest import pending_connections
    from logsleuth.store import Store
    from logsleuth.store_columns import SELECT_COLUMNS, connection_line, unload_connection

    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"")
    pending = []
    for part in parts(700, 1900, 3300, 4400):
        with log.open("ab") as fh:
            fh.write(part)
        result = ingest(db, log)
        store = Store(str(db))
        try:
            rows = store.con.execute(
                f"SELECT {SELECT_COLUMNS} FROM open_connections ORDER BY id"
            ).fetchall()
            saved = [connection_line(unload_connection(r)) for r in rows]
            want = sorted(pending_connections(store), key=lambda c: c.id)
        finally:
            store.close()
        assert saved == [connection_line(c) for c in want]
        assert len(saved) == result.pending
        pending.append(result.pending)
    assert min(pending) > 0  # every cut leaves connections open


def test_rotation_by_rename(tmp_path, whole):
    a, b, c = parts(1800, 3900)
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(a)
    ingest(db, log)
    with log.open("ab") as fh:
        fh.write(b)  # written after the run, before the rotation
    log.rename(tmp_path / "auth.log.1")
    log.write_bytes(c)
    run = ingest(db, log)  # only the live file is named: the rotated one is found
    assert run.run.lines == len(LINES) - 1800
    assert stored(db, lines=False) == whole[1]


def test_copytruncate(tmp_path, whole):
    a, b, c = parts(2500, 4000)
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(a)
    ingest(db, log)
    with log.open("ab") as fh:
        fh.write(b)
    shutil.copyfile(log, tmp_path / "auth.log.1")
    with log.open("r+b") as fh:
        fh.truncate(0)
    with log.open("ab") as fh:
        fh.write(c)
    ingest(db, log)
    assert stored(db, lines=False) == whole[1]


def test_compressed_rotations_with_a_glob(tmp_path, whole):
    a, b, c, d = parts(1000, 2600, 4100)
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(a)
    ingest(db, log)
    with log.open("ab") as fh:
        fh.write(b)
    log.rename(tmp_path / "auth.log.1")
    log.write_bytes(c)
    ingest(db, tmp_path / "auth.log*")
    # the next rotation compresses the old one (delaycompress) and starts a new file
    one = tmp_path / "auth.log.1"
    with gzip.open(tmp_path / "auth.log.2.gz", "wb") as gz:
        gz.write(one.read_bytes())
    one.unlink()
    log.rename(one)
    log.write_bytes(d)
    run = ingest(db, tmp_path / "auth.log*")
    assert run.run.lines == len(LINES) - 4100
    again = ingest(db, tmp_path / "auth.log*")
    assert again.run.lines == 0
    assert stored(db, lines=False) == whole[1]


def test_a_connection_open_across_runs_is_one_connection(tmp_path):
    # cut between a session's Accepted line and its disconnect
    text = [line.decode() for line in LINES]
    accepted = next(i for i, t in enumerate(text) if "Accepted publickey" in t)
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES[: accepted + 1]))
    ingest(db, log)
    mid = api.report(str(db))
    opened = [c for c in mid.connections if c.family == "open"]
    assert opened, "the session was open after the first run"
    with log.open("ab") as fh:
        fh.write(b"".join(LINES[accepted + 1 :]))
    ingest(db, log)
    after = {c.id: c for c in api.report(str(db)).connections}
    for c in opened:
        assert c.id in after, "the connection kept its id"
        assert after[c.id].start == c.start
    ids = [c.id for c in api.report(str(db)).connections]
    assert len(ids) == len(set(ids))


def test_report_window_and_host(tmp_path):
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES))
    ingest(db, log)
    full = api.report(str(db))
    hosts = sorted({c.host for c in full.connections})
    one = api.report(str(db), host=hosts[0])
    assert {c.host for c in one.connections} == {hosts[0]}
    ends = sorted(c.end for c in full.connections if c.end is not None)
    since = ends[len(ends) // 2]
    late = api.report(str(db), since=since)
    assert 0 < len(late.connections) < len(full.connections)
    assert all(c.end is None or c.end >= since for c in late.connections)
    assert sum(h.connections for h in late.hosts) <= sum(h.connections for h in full.hosts)


def test_a_source_that_delivers_nothing_is_flagged(tmp_path):
    log, db = tmp_path / "auth.log", tmp_path / "s.duckdb"
    log.write_bytes(b"".join(LINES[:100]))
    quiet = tmp_path / "secure"
    quiet.write_bytes(b"")
    ingest(db, log, quiet)
    ingest(db, log, quiet)
    rep = api.report(str(db))
    assert rep.coverage is not None and rep.coverage.runs == 2
    assert str(quiet) in rep.coverage.silent_sources
    assert str(log) not in rep.coverage.silent_sources
    text = render(rep, "text")
    assert "delivered nothing" in text


CORPORA = ROOT / ".." / "shared" / "corpora"
CORPUS_FILES = (
    sorted(
        p
        for p in CORPORA.rglob("*")
        if p.is_file() and p.name not in ("SOURCES.md", "actions.txt", "client.txt", "client-E.txt")
    )
    if CORPORA.is_dir()
    else []
)


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")
@pytest.mark.parametrize(
    "path", CORPUS_FILES, ids=[str(p.relative_to(CORPORA)) for p in CORPUS_FILES]
)
def test_scan_equals_ingest_then_report_on_the_corpora(tmp_path, path, catalogue):
    scanned = api.scan([str(path)], year=2005, catalogue=catalogue)
    db = tmp_path / "c.duckdb"
    api.ingest([str(path)], db=str(db), year=2005, catalogue=catalogue)
    reported = api.report(str(db))
    assert comparable(reported) == comparable(scanned)
    assert [(s.path, s.lines, s.ssh_lines, s.matched) for s in reported.sources] == [
        (s.path, s.lines, s.ssh_lines, s.matched) for s in scanned.sources
    ]
