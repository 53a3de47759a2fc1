"""Readers of `journalctl -o json` and `journalctl -o export` files (no binding needed)."""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
from datetime import timedelta

import pytest

from logsleuth.errors import SourceError
from logsleuth.readers import ReadOptions, detect
from logsleuth.readers.journal_export import (
    NO_SSHD_ENTRIES,
    JournalExportReader,
    JournalJsonReader,
)
from logsleuth.readers.journald import JournaldReader

OPTS = ReadOptions()


def same(records):
    return [(r.ts, r.host, r.program, r.pid, r.message, r.priority, r.cursor) for r in records]


@pytest.fixture
def exports(make_journal, journalctl, jx, tmp_path):
    """A journal file of the scenario and what `journalctl -o json/-o export` make of it."""
    path = make_journal(jx.scenario_entries())
    out = {"journal": path}
    for fmt in ("json", "export"):
        dump = tmp_path / f"sshd.{fmt}"
        with dump.open("wb") as fh:
            subprocess.run(
                [journalctl, "--file", str(path), "-o", fmt, "--no-pager"], stdout=fh, check=True
            )
        out[fmt] = dump
    return out


@pytest.mark.parametrize("fmt", ["json", "export"])
def test_exports_read_like_the_journal(exports, binding, jx, fmt):
    reader = JournalJsonReader() if fmt == "json" else JournalExportReader()
    got = list(reader.read(str(exports[fmt]), OPTS))
    from_journal = list(JournaldReader().read(str(exports["journal"]), OPTS))
    assert same(got) == same(from_journal)
    # the line is the entry's position in the export, other programs' entries included
    positions = [i for i, s in enumerate(jx.SCENARIO, 1) if s[1].startswith("sshd")]
    assert [r.line for r in got] == positions


@pytest.mark.parametrize("fmt", ["json", "export"])
def test_exports_are_detected_before_syslog(exports, fmt):
    head = exports[fmt].read_bytes()[:65536]
    found = detect(str(exports[fmt]), head)
    assert found is not None and found.name == f"journal-{fmt}"


def test_sniffers_reject_other_text():
    syslog = b"2026-11-21T19:15:01.000000+00:00 web01 sshd[1]: Server listening on :: port 22.\n"
    other_json = b'{"level":"info","msg":"hello","time":"2026-11-21T19:15:01Z"}\n'
    ini = b"[Remote]\nSeal=false\n"
    for head in (syslog, other_json, ini):
        assert not JournalJsonReader().sniff("x", head)
        assert not JournalExportReader().sniff("x", head)
    assert not JournaldReader().sniff("x", other_json)


def test_json_binary_repeated_and_null_values(tmp_path, jx):
    base = jx.usec(jx.T0)
    rows = [
        {
            "__REALTIME_TIMESTAMP": str(base),
            "SYSLOG_IDENTIFIER": "sshd",
            "_PID": "7",
            "MESSAGE": list(b"Invalid user \xff\xfe from 192.0.2.1 port 2"),
            "PRIORITY": "6",
        },
        {
            "__REALTIME_TIMESTAMP": str(base + 1),
            "SYSLOG_IDENTIFIER": ["sshd-session", "dup"],
            "SYSLOG_PID": "8",
            "MESSAGE": ["first value", "second value"],
        },
        {
            "__REALTIME_TIMESTAMP": str(base + 2),
            "SYSLOG_IDENTIFIER": "sshd",
            "MESSAGE": None,
            "_HOSTNAME": "h1",
        },
    ]
    path = tmp_path / "x.json"
    # json-seq (RS before each record) is accepted as well
    path.write_bytes(b"".join(b"\x1e" + json.dumps(r).encode() + b"\n" for r in rows))
    assert JournalJsonReader().sniff(str(path), path.read_bytes())
    got = list(JournalJsonReader().read(str(path), OPTS))
    assert [(r.program, r.pid, r.message, r.host) for r in got] == [
        ("sshd", 7, "Invalid user \ufffd\ufffd from 192.0.2.1 port 2", None),
        ("sshd-session", 8, "first value", None),
        ("sshd", None, "", "h1"),
    ]
    assert got[0].ts == jx.T0 and got[0].priority == 6 and got[0].cursor is None


def test_export_binary_field_whose_length_contains_a_newline_byte(tmp_path, jx):
    message = b"ab\ncdefghi"  # 10 bytes: the little-endian length starts with b"\n"
    assert struct.pack("<Q", len(message))[:1] == b"\n"
    entries = [jx.entry(jx.T0, message), jx.entry(jx.T0 + timedelta(seconds=1), "after")]
    path = tmp_path / "x.export"
    path.write_bytes(jx.export_bytes(entries))
    got = list(JournalExportReader().read(str(path), OPTS))
    assert [r.message for r in got] == ["ab\ncdefghi", "after"]
    assert got[0].pid == 1234 and got[0].host == "web01"


def test_gzipped_export_is_sniffed_and_read(tmp_path, jx):
    path = tmp_path / "x.export.gz"
    path.write_bytes(gzip.compress(jx.export_bytes(jx.scenario_entries())))
    head = path.read_bytes()[:65536]
    found = detect(str(path), head)
    assert found is not None and found.name == "journal-export"
    got = list(JournalExportReader().read(str(path), OPTS))
    assert [r.message for r in got] == [line[3] for line in jx.sshd_lines()]


def test_truncated_export_is_a_source_error(tmp_path, jx):
    data = jx.export_bytes([jx.entry(jx.T0, b"binary \xff message")])
    path = tmp_path / "x.export"
    path.write_bytes(data[: data.index(b"binary") + 3])
    with pytest.raises(SourceError, match="truncated"):
        list(JournalExportReader().read(str(path), OPTS))


def test_garbage_line_in_json_is_a_source_error(tmp_path, jx):
    path = tmp_path / "x.json"
    good = {
        "__REALTIME_TIMESTAMP": str(jx.usec(jx.T0)),
        "SYSLOG_IDENTIFIER": "sshd",
        "MESSAGE": "ok",
    }
    path.write_text(json.dumps(good) + "\nnot json\n")
    with pytest.raises(SourceError, match="line 2"):
        list(JournalJsonReader().read(str(path), OPTS))


@pytest.mark.parametrize("fmt", ["json", "export"])
def test_window_and_no_sshd_entries(exports, jx, fmt):
    reader = JournalJsonReader() if fmt == "json" else JournalExportReader()
    since, until = jx.T0 + timedelta(seconds=95), jx.T0 + timedelta(seconds=120)
    got = list(reader.read(str(exports[fmt]), ReadOptions(since=since, until=until)))
    assert [r.message for r in got] == [m for t, _, _, m in jx.sshd_lines() if since <= t <= until]
    with pytest.raises(SourceError) as err:
        list(reader.read(str(exports[fmt]), ReadOptions(until=jx.T0 - timedelta(seconds=1))))
    assert err.value.reason.startswith(NO_SSHD_ENTRIES)


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        list(JournalJsonReader().read(str(tmp_path / "nope.json"), OPTS))


def test_boot_id_change_of_a_host_is_a_boot_marker(tmp_path, make_journal, binding, jx):
    from logsleuth.readers.base import BOOT_PROGRAM

    first = jx.entry(jx.T0, "Accepted password for al from 192.0.2.1 port 4000 ssh2", pid=10)
    other_host = jx.entry(
        jx.T0 + timedelta(seconds=5), "Server listening on :: port 22.", pid=3, host="db01"
    )
    rebooted = jx.entry(
        jx.T0 + timedelta(minutes=3), "Server listening on 0.0.0.0 port 22.", pid=601
    )
    rebooted["_BOOT_ID"] = "4d3c2b1a09f8e7d6c5b4a39281706f5e"
    other_host["_BOOT_ID"] = "99999999999999999999999999999999"
    later = jx.entry(jx.T0 + timedelta(minutes=4), "Server listening on :: port 22.", pid=601)
    later["_BOOT_ID"] = rebooted["_BOOT_ID"]
    entries = [first, other_host, rebooted, later]
    export = tmp_path / "boots.export"
    export.write_bytes(jx.export_bytes(entries))
    journal = make_journal(entries)
    for reader, path in ((JournalExportReader(), export), (JournaldReader(), journal)):
        recs = list(reader.read(str(path), OPTS))
        assert [r.program for r in recs] == ["sshd", "sshd", BOOT_PROGRAM, "sshd", "sshd"]
        marker = recs[2]
        assert (marker.ts, marker.host, marker.pid, marker.message) == (
            recs[3].ts,
            "web01",
            None,
            "-- Boot 4d3c2b1a09f8e7d6c5b4a39281706f5e --",
        )
