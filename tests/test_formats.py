"""Formats people save and paste, each detected from its content and fully classified.

The fixtures in ``tests/data/formats`` are written for these tests in the shapes of real
output (journalctl, ``systemctl status``, pasted logs, the macOS unified log).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.classify import SSH_PROGRAMS
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.journal_text import BOOT_PROGRAM, zone_of
from logsleuth.readers.sources import expand
from tests.zone import utc_zone

DATA = Path(__file__).parent / "data" / "formats"


@pytest.fixture(autouse=True)
def in_utc():
    with utc_zone():
        yield


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def records(name: str, **options: object) -> list:
    (source,), errors = expand([str(DATA / name)])
    assert errors == []
    reader = READERS[source.reader]()
    return list(reader.read(source.path, ReadOptions(**options)))  # type: ignore[arg-type]


# Every fixture: the reader auto-detection picks, and how many sshd lines it holds.
FIXTURES = {
    "journalctl-short.txt": ("journalctl", 9),
    "journalctl-short-iso.txt": ("journalctl", 5),
    "journalctl-short-precise.txt": ("journalctl", 4),
    "journalctl-no-entries.txt": ("journalctl", 0),
    "journalctl-xe.txt": ("journalctl", 5),
    "journalctl-xe-old.txt": ("journalctl", 5),
    "systemctl-status-ssh.txt": ("journalctl", 7),
    "auth-pasted.log": ("syslog", 7),
    "auth-debug.log": ("syslog", 27),
    "secure-rhel4.log": ("syslog", 7),
    "macos-log-show.txt": ("macos-log", 6),
    "macos-log-stream.txt": ("macos-log", 3),
    "macos-log-syslog.txt": ("macos-log", 3),
    "macos-log-compact.txt": ("macos-log", 3),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_detected_and_every_sshd_line_classified(name):
    reader, ssh = FIXTURES[name]
    report = api.scan([str(DATA / name)], year=2024)
    (src,) = report.sources
    assert (src.reader, src.ssh_lines, src.unmatched, src.error) == (reader, ssh, 0, None)
    assert src.lines == len((DATA / name).read_text().splitlines())


def test_journal_header_gives_zone_and_year_across_new_year():
    recs = [r for r in records("journalctl-short.txt") if r.program in SSH_PROGRAMS]
    # CET is UTC+1; the header ends in 2024, so the December lines are 2023's.
    assert recs[0].ts == utc(2023, 12, 31, 22, 58, 40)
    assert recs[2].ts == utc(2023, 12, 31, 23, 3, 12)
    assert recs[-1].ts == utc(2024, 1, 3, 8, 41, 7)


def test_boot_markers_carry_the_next_entry_time_and_host():
    recs = records("journalctl-short.txt")
    boots = [r for r in recs if r.program == BOOT_PROGRAM]
    assert [(b.message, b.ts, b.host, b.pid) for b in boots] == [
        ("-- Reboot --", utc(2023, 12, 31, 23, 11, 30), "nas", None),
        ("-- Boot 5f0c2a9d8e4b4c71a3e6d2b19f7c0a55 --", utc(2024, 1, 3, 8, 41, 5), "nas", None),
    ]
    # Held until the next entry, then yielded before it: the order of the file is kept.
    lines = [r.line for r in recs]
    assert lines == sorted(lines)


def test_iso_and_precise_forms_keep_their_offsets_and_fractions():
    iso = [r for r in records("journalctl-short-iso.txt") if r.program == "sshd"]
    assert iso[0].ts == utc(2024, 3, 25, 14, 14, 2)
    precise = [r for r in records("journalctl-short-precise.txt") if r.program == "sshd"]
    assert precise[2].ts == utc(2024, 6, 1, 12, 0, 9, 904711)


def test_catalog_lines_of_journalctl_x_are_lines_not_entries():
    for name in ("journalctl-xe.txt", "journalctl-xe-old.txt"):
        recs = records(name, year=2024)
        catalog = [r for r in recs if r.message.startswith(("░░", "--"))]
        assert catalog and all(r.program == "" and r.ts is None for r in catalog)
    # A paste that starts inside a catalog block.
    assert records("journalctl-xe.txt", year=2024)[0].program == ""


def test_systemctl_status_takes_zone_and_year_from_its_active_line():
    recs = [r for r in records("systemctl-status-ssh.txt") if r.program == "sshd"]
    # Active since Fri 2023-12-29 CET, 4 days ago: the status was taken around Jan 2 2024.
    assert recs[0].ts == utc(2023, 12, 31, 22, 59, 10)
    assert recs[-1].ts == utc(2024, 1, 2, 16, 40, 9)
    prompt = records("systemctl-status-ssh.txt")[0]
    assert (prompt.program, prompt.message) == ("", "root@web3:~# systemctl status ssh")


def test_pasted_syslog_with_prompt_empty_and_bracketed_hosts():
    recs = records("auth-pasted.log", year=2015)
    assert recs[0].program == "" and recs[-1].program == ""
    assert (recs[1].host, recs[1].program, recs[1].pid) == (None, "sshd", 53888)
    assert {r.host for r in recs[2:-1]} == {"myhost"}


def test_zone_abbreviations_resolve_through_given_local_and_known_zones():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert zone_of([("2021-05-08 00:49:10", "CEST")]) == (True, berlin)
    assert zone_of([("2021-05-08 00:49:10", "UTC")]) == (True, None)  # this machine's (UTC)
    # An ambiguous abbreviation: --tz settles it when the zone prints it at that time.
    shanghai = ZoneInfo("Asia/Shanghai")
    assert zone_of([("2024-01-08 10:00:00", "CST")], shanghai) == (True, shanghai)
    assert zone_of([("2024-01-08 10:00:00", "CST")]) == (True, ZoneInfo("America/Chicago"))
    found, plus3 = zone_of([("2024-01-08 10:00:00", "+03")])
    assert found and plus3 is not None and plus3.utcoffset(None).total_seconds() == 10800
    assert zone_of([("2024-01-08 10:00:00", "XYZT")]) == (False, None)


def test_debug_lines_are_context_and_the_connection_ends_on_its_own_lines():
    report = api.scan([str(DATA / "auth-debug.log")], year=2024)
    (conn,) = report.connections
    assert (conn.family, conn.cause, conn.client_ip) == (
        "clean-exit",
        "clean-exit/disconnected-by-user",
        "192.0.2.50",
    )
    cat = api.load_catalogue()
    from logsleuth.classify import classify_record

    debug = [
        classify_record(r, cat)
        for r in records("auth-debug.log", year=2024)
        if r.message.startswith("debug")
    ]
    # Specific debug entries (kex steps) first, the debug trace entry for the rest.
    assert {e.role for e in debug} == {"info"} and all(e.pattern_id for e in debug)
    assert sum(e.pattern_id == "S301" for e in debug) > len(debug) // 2


def test_old_pam_tag_lines_pair_the_session():
    cat = api.load_catalogue()
    from logsleuth.classify import classify_record

    recs = [r for r in records("secure-rhel4.log", year=2006) if r.program == "sshd(pam_unix)"]
    assert [classify_record(r, cat).pattern_id for r in recs] == [
        "P113",
        "P103",
        "P111",
        "P112",
    ]


def test_macos_log_styles_give_the_same_records():
    show = [r for r in records("macos-log-show.txt") if r.program == "sshd"]
    assert [(r.ts, r.host, r.pid, r.priority) for r in show[:2]] == [
        (utc(2024, 5, 2, 7, 14, 1, 502115), None, 4410, 5),
        (utc(2024, 5, 2, 7, 14, 3, 118342), None, 4412, 5),
    ]
    assert show[1].message.startswith("Accepted publickey for anna from 192.0.2.44 port 50122")
    # Library lines inside sshd are not sshd's messages.
    libs = [r for r in records("macos-log-show.txt") if r.program.startswith("sshd (")]
    assert {r.program for r in libs} == {"sshd (libsystem_info.dylib)"}
    assert libs[0].message == "send failed: Invalid argument"
    syslog_style = [r for r in records("macos-log-syslog.txt") if r.program == "sshd"]
    assert syslog_style[0].ts == utc(2024, 5, 2, 8, 2, 17, 433918)
    assert syslog_style[0].host == "localhost"
    # Compact style has no offset: local time (UTC here, or --tz).
    from zoneinfo import ZoneInfo

    compact = records("macos-log-compact.txt", tz=ZoneInfo("Europe/Paris"))
    assert [r.ts for r in compact if r.program == "sshd"][0] == utc(2024, 5, 2, 7, 14, 3, 118000)
    stream = [r for r in records("macos-log-stream.txt") if r.program == "sshd-session"]
    assert stream[1].ts == utc(2025, 10, 15, 4, 58, 2, 881630)


def test_macos_sessions_are_rebuilt():
    report = api.scan([str(DATA / "macos-log-show.txt")])
    ends = sorted((c.client_ip, c.family) for c in report.connections)
    assert ends == [
        ("192.0.2.44", "clean-exit"),
        ("203.0.113.61", "auth-failure"),
        ("203.0.113.61", "preauth-probe"),
    ]
