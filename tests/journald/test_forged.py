"""Journal trust: an entry that says SYSLOG_IDENTIFIER=sshd but was written by another
program (`logger -t sshd` as any user) is counted and shown, never part of a connection;
a corrupt export is a "corrupt journal export" error for that source alone."""

from __future__ import annotations

import json
import struct
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.readers.journal_export import forged_by

runner = CliRunner()
GOOD_LOG = (
    "Nov 21 06:25:01 web02 sshd[77]: Accepted password for al from 192.0.2.1 port 4000 ssh2\n"
    "Nov 21 06:35:01 web02 sshd[77]: Timeout, client not responding from user al "
    "192.0.2.1 port 4000\n"
)


def _genuine(jx) -> list[dict]:
    entry, T0 = jx.entry, jx.T0
    e = [
        entry(T0, "Connection from 192.0.2.5 port 50022 on 10.0.0.1 port 22", pid=1001),
        entry(
            T0 + timedelta(seconds=1),
            "Accepted publickey for alice from 192.0.2.5 port 50022 ssh2",
            pid=1001,
        ),
        entry(
            T0 + timedelta(seconds=9),
            "Received disconnect from 192.0.2.5 port 50022:11: disconnected by user",
            pid=1001,
        ),
    ]
    for x in e:
        x["_EXE"] = "/usr/sbin/sshd"
    return e


def _forged(jx, uid: int = 1000, comm: str = "logger", exe: str = "/usr/bin/logger") -> list[dict]:
    entry, T0 = jx.entry, jx.T0
    out = []
    for i, msg in enumerate(
        (
            "Connection from 6.6.6.6 port 22 on 10.0.0.1 port 22",
            "Accepted password for root from 6.6.6.6 port 22 ssh2",
            "Timeout, client not responding from user root 6.6.6.6 port 22",
        )
    ):
        e = entry(T0 + timedelta(seconds=20 + i), msg, pid=4242, unit=None)
        e.update({"_COMM": comm, "_EXE": exe, "_UID": uid})
        out.append(e)
    return out


def _json_lines(entries: list[dict]) -> str:
    return "".join(json.dumps({k: str(v) for k, v in e.items()}) + "\n" for e in entries)


@pytest.mark.parametrize("fmt", ["json", "export"])
def test_logger_entries_tagged_sshd_are_forged(tmp_path, fmt, jx):
    entries = _genuine(jx) + _forged(jx)
    path = tmp_path / f"j.{fmt}"
    if fmt == "json":
        path.write_text(_json_lines(entries))
    else:
        path.write_bytes(jx.export_bytes(entries))
    report = api.scan([str(path)])
    assert {c.client_ip for c in report.connections} == {"192.0.2.5"}
    assert not any(c.user == "root" for c in report.connections)
    (src,) = report.sources
    assert src.lines == 6
    assert src.note is not None and "3 forged" in src.note and "logger" in src.note


def test_forged_entries_in_a_real_journal_file(make_journal, binding, tmp_path, jx):
    path = make_journal(_genuine(jx) + _forged(jx))
    for backend_report in (api.scan([], journal_files=[str(path)]),):
        ips = {c.client_ip for c in backend_report.connections}
        assert ips == {"192.0.2.5"}
        assert "forged" in (backend_report.sources[0].note or "")


@pytest.mark.parametrize(
    ("fields", "forged"),
    [
        ({"_COMM": "sshd", "_EXE": "/usr/sbin/sshd", "_UID": "0"}, False),
        ({"_COMM": "sshd", "_EXE": "/usr/sbin/sshd", "_UID": "1000"}, False),  # user child
        ({"_COMM": "sshd-session", "_EXE": "/usr/lib/openssh/sshd-session"}, False),
        ({}, False),  # no trusted fields: nothing to contradict
        ({"_COMM": "logger", "_EXE": "/usr/bin/logger", "_UID": "1000"}, True),
        ({"_COMM": "sshd", "_EXE": "/home/eve/sshd", "_UID": "1000"}, True),
        ({"_COMM": "sshd", "_EXE": "/usr/bin/python3.11", "_UID": "1000"}, True),
        ({"_COMM": "logger", "_UID": "0"}, True),
        ({"_COMM": "sshd", "_UID": "1000", "_SYSTEMD_UNIT": "user@1000.service"}, True),
        ({"_COMM": "sshd", "_UID": "0", "_SYSTEMD_UNIT": "sshd-second.service"}, False),
        ({"_COMM": "sshd", "_EXE": "/usr/sbin/sshd (deleted)", "_UID": "0"}, False),
        ({"_COMM": "sshd", "_SYSTEMD_UNIT": "session-4.scope"}, False),
    ],
)
def test_trusted_fields_against_the_identifier(fields, forged):
    assert (forged_by({"SYSLOG_IDENTIFIER": "sshd", **fields}) is not None) == forged


def _export_with(jx, raw: bytes) -> bytes:
    head = jx.export_bytes(
        [jx.entry(jx.T0, "Connection from 192.0.2.5 port 50022 on 10.0.0.1 port 22")]
    )
    return head + raw


CORRUPT = {
    "binary-2^63": b"__REALTIME_TIMESTAMP=1763752501000000\nSYSLOG_IDENTIFIER=sshd\nMESSAGE\n"
    + struct.pack("<Q", 2**63)
    + b"x\n\n",
    "binary-16GiB": b"__REALTIME_TIMESTAMP=1763752501000000\nSYSLOG_IDENTIFIER=sshd\nOTHER\n"
    + struct.pack("<Q", 16 << 30)
    + b"x\n\n",
    "timestamp-oversized": b"__REALTIME_TIMESTAMP=" + b"9" * 40 + b"\nSYSLOG_IDENTIFIER=sshd\n"
    b"MESSAGE=Connection from 192.0.2.5 port 1 on 10.0.0.1 port 22\n\n",
    "timestamp-5000-digits": b"__REALTIME_TIMESTAMP=" + b"9" * 5000 + b"\nSYSLOG_IDENTIFIER=sshd\n"
    b"MESSAGE=x\n\n",
    "timestamp-arabic-digits": "__REALTIME_TIMESTAMP=\u0661\u0662\u0663\nSYSLOG_IDENTIFIER=sshd\n"
    "MESSAGE=x\n\n".encode(),
}
CORRUPT_JSON = {
    "lone-surrogate": '{"__REALTIME_TIMESTAMP": "1763752501000000", "__CURSOR": "c", '
    '"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": "a\\ud800b"}\n',
    "deep-nesting": '{"__REALTIME_TIMESTAMP": "1763752501000000", "__CURSOR": "c", '
    '"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
    "timestamp-oversized": '{"__REALTIME_TIMESTAMP": "' + "9" * 40 + '", "__CURSOR": "c", '
    '"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": "x"}\n',
    "timestamp-arabic-digits": '{"__REALTIME_TIMESTAMP": "\u0661\u0662\u0663", "__CURSOR": "c", '
    '"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": "x"}\n',
}


def _check_corrupt(tmp_path, path):
    good = tmp_path / "good.log"
    good.write_text(GOOD_LOG)
    r = runner.invoke(app, ["scan", str(path), str(good), "--year", "2026", "--format", "json"])
    assert r.exit_code == 3, (r.output, r.exception)
    assert "corrupt journal export" in r.stderr
    doc = json.loads(r.stdout)
    assert any(c["user"] == "al" for c in doc["connections"])  # the other source was read
    (bad,) = [s for s in doc["sources"] if s["path"] == str(path)]
    assert "corrupt journal export" in bad["error"]


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_export_is_an_error_of_that_source(tmp_path, name, jx):
    path = tmp_path / "j.export"
    path.write_bytes(_export_with(jx, CORRUPT[name]))
    _check_corrupt(tmp_path, path)


@pytest.mark.parametrize("name", sorted(CORRUPT_JSON))
def test_corrupt_json_export_is_an_error_of_that_source(tmp_path, name, jx):
    first = jx.entry(jx.T0, "Connection from 192.0.2.5 port 50022 on 10.0.0.1 port 22")
    path = tmp_path / "j.json"
    path.write_text(_json_lines([first]) + CORRUPT_JSON[name])
    _check_corrupt(tmp_path, path)


def test_huge_binary_length_is_refused_without_reading(tmp_path, jx):
    import resource

    path = tmp_path / "j.export"
    path.write_bytes(_export_with(jx, CORRUPT["binary-16GiB"]))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(Exception, match="corrupt journal export"):
        from logsleuth.readers.base import ReadOptions
        from logsleuth.readers.journal_export import JournalExportReader

        list(JournalExportReader().read(str(path), ReadOptions()))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
