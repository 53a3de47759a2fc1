"""The events table: every ssh line a run reads, linked to its connection's stable id."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.sessionize import MAX_EVIDENCE
from logsleuth.store import Store
from logsleuth.store_columns import EVENT_COLUMNS, EventBatch, event_rows
from tests.zone import utc_zone

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ("auth.log", "auth-precise.log")


@pytest.fixture(autouse=True)
def utc():
    with utc_zone():
        yield


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    store = Store(str(db), read_only=True)
    try:
        return store.con.execute(sql, params or []).fetchall()
    finally:
        store.close()


@pytest.fixture(scope="module", params=SAMPLES)
def sample_db(request, tmp_path_factory):
    db = tmp_path_factory.mktemp("events") / "ssh.duckdb"
    with utc_zone():
        api.ingest([str(ROOT / "sample_logs" / request.param)], db=str(db), year=2026)
    return db


def test_one_row_per_ssh_line_classified_or_not(sample_db):
    ((ssh, matched, unmatched),) = query(
        sample_db, "SELECT sum(ssh_lines), sum(matched), sum(unmatched) FROM run_sources"
    )
    ((rows, classified, unclassified, with_text),) = query(
        sample_db,
        "SELECT count(*), count(pattern_id), count(*) FILTER (pattern_id IS NULL), "
        "count(message) FROM events",
    )
    assert ssh > 0 and rows == ssh == matched + unmatched
    assert (classified, unclassified) == (matched, unmatched)
    assert with_text == unclassified  # the unclassified lines keep their text
    (shapes,) = query(sample_db, "SELECT coalesce(sum(count), 0) FROM unmatched")[0]
    assert shapes == unclassified


def test_the_events_of_each_connection_are_its_evidence(sample_db):
    """Each stored line linked to a connection is a line it cites, and every ssh line a
    connection cites is stored with its id (reboot lines of logind are not ssh lines)."""
    cited = set(
        query(
            sample_db,
            "SELECT id, e.source, e.line FROM (SELECT id, unnest(evidence) AS e FROM "
            "connections UNION ALL SELECT id, unnest(evidence) FROM open_connections) "
            "WHERE e.text NOT LIKE '%systemd-logind%' AND e.text NOT LIKE '%-- boot --%'",
        )
    )
    linked = set(
        query(
            sample_db,
            "SELECT connection_id, source, line FROM events WHERE connection_id IS NOT NULL",
        )
    )
    assert cited and cited == linked
    # ids are those of connections (or of the ones still open): nothing dangles
    dangling = query(
        sample_db,
        "SELECT count(*) FROM events WHERE connection_id IS NOT NULL AND connection_id NOT IN "
        "(SELECT id FROM connections UNION ALL SELECT id FROM open_connections)",
    )
    assert dangling == [(0,)]
    longest = query(sample_db, "SELECT max(len(evidence)) FROM connections")[0][0]
    assert longest < MAX_EVIDENCE  # else evidence is cut and the sets differ legitimately


def test_events_carry_host_time_program_and_fields(sample_db):
    rows = query(
        sample_db,
        "SELECT e.host = c.host, e.ts >= c.start, e.program, e.client_ip IS NULL "
        "OR e.client_ip = c.client_ip OR c.direction = 'outbound' "
        "FROM events e JOIN connections c ON c.id = e.connection_id",
    )
    assert rows
    assert all(same_host for same_host, *_ in rows)
    assert all(after is not False for _, after, *_ in rows)
    assert all(ip_of for *_, ip_of in rows)
    programs = {"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)", "ssh"}
    assert {p for _, _, p, _ in rows} <= programs
    (runs,) = query(sample_db, "SELECT list(DISTINCT run) FROM events")[0]
    assert runs == [1]


def test_an_in_memory_scan_keeps_no_events_and_a_scan_with_db_does(tmp_path):
    db = tmp_path / "scan.duckdb"
    rep = api.scan([str(ROOT / "sample_logs" / "auth.log")], year=2026, db=str(db))
    (n,) = query(db, "SELECT count(*) FROM events")[0]
    assert n == sum(s.ssh_lines for s in rep.sources) > 0


SPLIT_FIRST = (
    "Nov 30 10:00:00 web01 sshd[100]: pam_unix(sshd:session): session opened for user "
    "alice(uid=1000) by (uid=0)\n"
)
SPLIT_REST = (
    "Nov 30 10:05:00 web01 sshd[100]: Received disconnect from 203.0.113.5 port 50000:11: "
    "disconnected by user\n"
    "Nov 30 10:05:00 web01 sshd[100]: Disconnected from user alice 203.0.113.5 port 50000\n"
    "Nov 30 10:05:00 web01 sshd[100]: pam_unix(sshd:session): session closed for user alice\n"
    "Nov 30 10:10:00 web01 sshd[200]: Connection from 198.51.100.7 port 40000 on 10.0.0.1 "
    "port 22\n"
    "Nov 30 10:10:01 web01 sshd[200]: Connection closed by 198.51.100.7 port 40000 [preauth]\n"
)


def _settled(path: Path) -> None:
    """Old enough that its last line counts as whole."""
    old = time.time() - 3600
    os.utime(path, (old, old))


def test_a_connection_split_across_two_ingests_links_its_first_lines(tmp_path):
    """The first run stores a line of a connection that has no address yet (its id is
    then the open connection's); the second run learns the address, which changes the
    stable id: the first run's row moves to the final id."""
    log, db = tmp_path / "auth.log", tmp_path / "split.duckdb"
    log.write_text(SPLIT_FIRST)
    _settled(log)
    api.ingest([str(log)], db=str(db), year=2026)
    (open_id,) = query(db, "SELECT id FROM open_connections")[0]
    assert query(db, "SELECT connection_id FROM events") == [(open_id,)]
    with log.open("a") as fh:
        fh.write(SPLIT_REST)
    _settled(log)
    api.ingest([str(log)], db=str(db), year=2026)
    (final_id,) = query(db, "SELECT id FROM connections WHERE client_ip = '203.0.113.5'")[0]
    assert final_id != open_id
    rows = query(db, "SELECT run, connection_id FROM events WHERE pid = 100 ORDER BY line")
    assert rows == [(1, final_id), (2, final_id), (2, final_id), (2, final_id)]
    whole = tmp_path / "whole.duckdb"
    api.ingest([str(log)], db=str(whole), year=2026)
    links = "SELECT source, line, connection_id FROM events ORDER BY line"
    assert query(db, links) == query(whole, links)


@pytest.mark.parametrize("cut", [700, 2000, 3333])
def test_split_ingests_link_events_as_one_ingest_does(tmp_path, cut):
    lines = (ROOT / "sample_logs" / "auth.log").read_bytes().splitlines(keepends=True)
    log, db, whole = tmp_path / "auth.log", tmp_path / "split.duckdb", tmp_path / "w.duckdb"
    log.write_bytes(b"".join(lines[:cut]))
    _settled(log)
    api.ingest([str(log)], db=str(db), year=2026)
    with log.open("ab") as fh:
        fh.write(b"".join(lines[cut:]))
    _settled(log)
    api.ingest([str(log)], db=str(db), year=2026)
    api.ingest([str(log)], db=str(whole), year=2026)
    links = "SELECT source, line, connection_id, pattern_id FROM events ORDER BY line"
    split_rows, whole_rows = query(db, links), query(whole, links)
    assert len(split_rows) == len(whole_rows) > 0
    assert split_rows == whole_rows
    assert query(db, "SELECT count(DISTINCT run) FROM events") == [(2,)]


def test_every_column_gets_a_value_per_row():
    batch = EventBatch(1, [], [])
    assert event_rows(batch) == []
    names = [c.name for c in EVENT_COLUMNS]
    assert len(names) == len(set(names))
    store = Store()
    try:
        stored = [r[0] for r in store.con.execute("DESCRIBE events").fetchall()]
    finally:
        store.close()
    assert stored == names
