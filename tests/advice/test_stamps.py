from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.model import Record
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.journald import _binding_record
from logsleuth.renderers import render
from tests.journald.conftest import entry, export_bytes

# A connection whose lines end it with a keepalive timeout: evidence is cited.
SESSION = (
    "Accepted publickey for alice from 192.0.2.7 port 50122 ssh2: ED25519 SHA256:abc",
    "Timeout, client not responding from user alice 192.0.2.7 port 50122",
)


def records(reader: str, path: Path, **options) -> list[Record]:
    return list(READERS[reader]().read(str(path), ReadOptions(**options)))


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("Nov 30 03:10:02 web01 sshd[7]: x", "Nov 30 03:10:02"),
        ("Nov  3 03:10:02 web01 sshd[7]: x", "Nov  3 03:10:02"),
        ("Nov 30 03:10:02.123 2026 web01 sshd[7]: x", "Nov 30 03:10:02.123 2026"),
        ("<38>Nov 30 03:10:02 web01 sshd[7]: x", "Nov 30 03:10:02"),
        ("Nov 30 03:10:02 <auth.info> web01 sshd[7]: x", "Nov 30 03:10:02"),
        (
            "2026-11-30T03:10:02.123456+01:00 web01 sshd[7]: x",
            "2026-11-30T03:10:02.123456+01:00",
        ),
        ("2026-11-30T03:10:02+0100 web01 sshd[7]: x", "2026-11-30T03:10:02+0100"),
        ("<38>1 2026-11-30T03:10:02.5Z web01 sshd 7 - - x", "2026-11-30T03:10:02.5Z"),
        ("<38>1 - web01 sshd 7 - - x", None),
        ("no header at all", None),
    ],
)
def test_the_syslog_reader_keeps_the_stamp_as_written(tmp_path, line, stamp):
    path = tmp_path / "auth.log"
    path.write_text(line + "\n")
    (rec,) = records("syslog", path, year=2026)
    assert rec.stamp == stamp


def test_a_repeated_line_gets_the_stamp_of_the_repeat_line(tmp_path):
    path = tmp_path / "auth.log"
    path.write_text(
        "Nov 30 03:10:02 web01 sshd[7]: Connection closed by 192.0.2.7 port 1 [preauth]\n"
        "Nov 30 03:10:09 web01 last message repeated 3 times\n"
    )
    first, again = records("syslog", path, year=2026)
    assert (first.stamp, again.stamp, again.repeat) == ("Nov 30 03:10:02", "Nov 30 03:10:09", 3)


def test_journalctl_text_keeps_its_own_stamps(tmp_path):
    path = tmp_path / "journal.txt"
    path.write_text(
        "Nov 30 03:10:02 web01 sshd[7]: Server listening on 0.0.0.0 port 22.\n"
        "-- Boot 0123456789abcdef0123456789abcdef --\n"
        "Nov 30 03:12:40 web01 sshd[9]: Server listening on 0.0.0.0 port 22.\n"
    )
    recs = records("journalctl", path, year=2026)
    # The boot marker has no stamp of its own: it is quoted as written, alone.
    assert [r.stamp for r in recs] == ["Nov 30 03:10:02", None, "Nov 30 03:12:40"]
    assert recs[1].cited == "-- Boot 0123456789abcdef0123456789abcdef --"
    assert recs[2].cited.startswith("Nov 30 03:12:40 web01 sshd[9]: ")
    path.write_text("2026-11-30T03:10:02+0100 web01 sshd[7]: Server listening.\n")
    assert [r.stamp for r in records("journalctl", path)] == ["2026-11-30T03:10:02+0100"]


def test_macos_log_keeps_its_stamp(tmp_path):
    path = tmp_path / "mac.log"
    path.write_text(
        "2020-03-23 06:47:42.801612-0700 0x1f4e     Default     0x0     3186   0    sshd: "
        "Connection closed by 192.0.2.7 port 50122 [preauth]\n"
    )
    (rec,) = records("macos-log", path)
    assert rec.stamp == "2020-03-23 06:47:42.801612-0700"


def test_journal_entries_show_their_time_with_the_zone(tmp_path):
    ts = datetime(2026, 11, 30, 2, 10, 2, 123456, tzinfo=UTC)
    path = tmp_path / "sshd.export"
    path.write_bytes(export_bytes([entry(ts, "Server listening on 0.0.0.0 port 22.")]))
    (rec,) = records("journal-export", path)
    assert rec.stamp == "2026-11-30 02:10:02.123456 UTC"
    raw = {k: str(v).encode() for k, v in entry(ts, "x").items()}
    usec = int(raw["__REALTIME_TIMESTAMP"])
    assert _binding_record(raw, usec, "c", "journal", 1).stamp == "2026-11-30 02:10:02.123456 UTC"


def test_a_record_without_a_written_stamp_shows_its_utc_time():
    ts = datetime(2026, 11, 30, 2, 10, 2, tzinfo=UTC)
    assert Record(ts, "h", "sshd", 1, "m", "t", 1).shown_stamp == "2026-11-30T02:10:02Z"
    assert Record(None, "h", "sshd", 1, "m", "t", 1).shown_stamp == "-"


def _log(tmp_path: Path, stamps: tuple[str, str]) -> Path:
    path = tmp_path / "auth.log"
    path.write_text(
        "".join(f"{s} web01 sshd[4242]: {m}\n" for s, m in zip(stamps, SESSION, strict=True))
    )
    return path


def _evidence(report) -> list[str]:
    return [e.text for c in report.connections for e in c.evidence]


@pytest.mark.parametrize(
    "stamps",
    [
        ("Nov 30 03:10:02", "Nov 30 03:25:04"),
        ("2026-11-30T03:10:02.123456+01:00", "2026-11-30T03:25:04.654321+01:00"),
    ],
)
def test_evidence_shows_the_stamp_as_written_in_every_format(tmp_path, stamps):
    path = _log(tmp_path, stamps)
    report = api.scan([str(path)], year=2026)
    texts = _evidence(report)
    assert texts and all(t.startswith(stamps) for t in texts)
    assert f"{stamps[1]} web01 sshd[4242]: Timeout" in render(report, "text")
    assert f"{stamps[1]} web01 sshd[4242]: Timeout" in render(report, "markdown")
    assert f"{stamps[1]} web01 sshd[4242]: Timeout" in render(report, "html")
    doc = json.loads(render(report, "json"))
    cited = [e["text"] for c in doc["connections"] for e in c["evidence"]]
    assert cited == texts


def test_the_stamp_survives_ingest_and_report(tmp_path):
    stamps = ("Nov 30 03:10:02", "Nov 30 03:25:04")
    path = _log(tmp_path, stamps)
    db = str(tmp_path / "ls.duckdb")
    api.ingest([str(path)], db=db, year=2026)
    stored = api.report(db=db)
    assert _evidence(stored) == _evidence(api.scan([str(path)], year=2026))
    assert all(t.startswith(stamps) for t in _evidence(stored))


def test_an_open_connection_keeps_its_stamp_across_ingest_runs(tmp_path):
    path = tmp_path / "auth.log"
    path.write_text(f"Nov 30 03:10:02 web01 sshd[4242]: {SESSION[0]}\n")
    db = str(tmp_path / "ls.duckdb")
    api.ingest([str(path)], db=db, year=2026)
    with path.open("a") as fh:
        fh.write(f"Nov 30 03:25:04 web01 sshd[4242]: {SESSION[1]}\n")
    api.ingest([str(path)], db=db, year=2026)
    texts = _evidence(api.report(db=db))
    assert texts == _evidence(api.scan([str(path)], year=2026))
    assert any(t.startswith("Nov 30 03:10:02 ") for t in texts)


def test_a_hostile_stamp_is_escaped_like_any_log_text(tmp_path):
    path = tmp_path / "auth.log"
    bad = "<b>\x1b[31m</b>"
    path.write_text(
        "".join(f"<38>1 {bad} web01 sshd 4242 - - {m}\n" for m in SESSION), encoding="utf-8"
    )
    report = api.scan([str(path)], year=2026)
    assert any(bad in t for t in _evidence(report))
    for fmt in ("text", "markdown", "html"):
        out = render(report, fmt)
        assert "\x1b" not in out, fmt
    assert "<b>" not in render(report, "html")
