"""The syslog header parser and the syslog file reader."""

from __future__ import annotations

import builtins
import bz2
import gzip
import io
import lzma
import os
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth.errors import SourceError
from logsleuth.readers import syslog
from logsleuth.readers.base import ReadOptions
from logsleuth.readers.syslog import SyslogReader
from logsleuth.readers.syslog_header import parse_line

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
LAB = CORPORA / "openssh-10.5-lab"


def _set_tz(value: str | None) -> None:
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


@pytest.fixture(autouse=True)
def utc_zone():
    old = os.environ.get("TZ")
    _set_tz("UTC")
    yield
    _set_tz(old)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write(path: Path, text: str | bytes, mtime: datetime | None = None) -> str:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return str(path)


def read_all(path: str, **options: object) -> list:
    return list(SyslogReader().read(path, ReadOptions(**options)))  # type: ignore[arg-type]


# --- header shapes ---------------------------------------------------------------------

HEADERS = [
    pytest.param(
        "Feb  7 16:01:07 web1 sshd[5106]: Invalid user x from 1.2.3.4",
        (utc(2024, 2, 7, 16, 1, 7), "web1", "sshd", 5106, "Invalid user x from 1.2.3.4", None),
        id="rfc3164-two-space-day",
    ),
    pytest.param(
        "Feb 7 16:01:07 web1 sshd[5106]: one space",
        (utc(2024, 2, 7, 16, 1, 7), "web1", "sshd", 5106, "one space", None),
        id="rfc3164-one-space-day",
    ),
    pytest.param(
        "Aug 28 19:14:05  sshd[53888]: empty host field",
        (utc(2024, 8, 28, 19, 14, 5), None, "sshd", 53888, "empty host field", None),
        id="rfc3164-empty-host-field",
    ),
    pytest.param(
        "Aug 28 19:14:05 [myhost] sshd[53888]: redacted paste",
        (utc(2024, 8, 28, 19, 14, 5), "myhost", "sshd", 53888, "redacted paste", None),
        id="rfc3164-bracketed-host",
    ),
    pytest.param(
        "2024-08-28T19:14:05+00:00 [web-01] sshd[7]: redacted paste",
        (utc(2024, 8, 28, 19, 14, 5), "web-01", "sshd", 7, "redacted paste", None),
        id="rfc3339-bracketed-host",
    ),
    pytest.param(
        "Jan 22 10:00:00 hermes sshd(pam_unix)[4242]: check pass; user unknown",
        (utc(2024, 1, 22, 10), "hermes", "sshd(pam_unix)", 4242, "check pass; user unknown", None),
        id="old-pam-program",
    ),
    pytest.param(
        "Nov 11 09:00:00 sshd[30876]: no host here",
        (utc(2024, 11, 11, 9, 0, 0), None, "sshd", 30876, "no host here", None),
        id="rfc3164-missing-host",
    ),
    pytest.param(
        "Jun 21 16:47:48 web1 sshd: no pid",
        (utc(2024, 6, 21, 16, 47, 48), "web1", "sshd", None, "no pid", None),
        id="rfc3164-no-pid",
    ),
    pytest.param(
        "Jun 21 16:47:48.250 web1 sshd[7]: fraction",
        (datetime(2024, 6, 21, 16, 47, 48, 250000, UTC), "web1", "sshd", 7, "fraction", None),
        id="rfc3164-fractional-seconds",
    ),
    pytest.param(
        "Jun 21 16:47:48 2019 web1 sshd[7]: with a year",
        (utc(2019, 6, 21, 16, 47, 48), "web1", "sshd", 7, "with a year", None),
        id="rfc3164-explicit-year",
    ),
    pytest.param(
        "<38>Jun 21 16:47:48 web1 sshd[7]: raw with pri",
        (utc(2024, 6, 21, 16, 47, 48), "web1", "sshd", 7, "raw with pri", 6),
        id="rfc3164-leading-pri",
    ),
    pytest.param(
        "2026-11-21T20:02:26.012528+00:00 vm sshd-session[20905]: Connection from 127.0.0.1",
        (
            datetime(2026, 11, 21, 20, 2, 26, 12528, UTC),
            "vm",
            "sshd-session",
            20905,
            "Connection from 127.0.0.1",
            None,
        ),
        id="rsyslog-rfc3339-precise",
    ),
    pytest.param(
        "2020-05-29T11:28:56.058908+02:00 bastion sshd[20974]: offset",
        (datetime(2020, 5, 29, 9, 28, 56, 58908, UTC), "bastion", "sshd", 20974, "offset", None),
        id="rfc3339-offset-converted",
    ),
    pytest.param(
        "2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: error: PAM: unknown user",
        (
            datetime(2020, 3, 23, 13, 47, 42, 801612, UTC),
            "localhost",
            "sshd",
            3186,
            "error: PAM: unknown user",
            None,
        ),
        id="macos-log-show",
    ),
    pytest.param(
        "2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: Invalid user git",
        (
            datetime(2018, 12, 20, 10, 9, 5, 180218, UTC),
            "localhost",
            "sshd",
            67566,
            "Invalid user git",
            None,
        ),
        id="iso-offset-without-colon",
    ),
    pytest.param(
        "<38>1 2026-11-21T20:02:26.012528+00:00 vm sshd 20894 - -  Server listening on x.",
        (
            datetime(2026, 11, 21, 20, 2, 26, 12528, UTC),
            "vm",
            "sshd",
            20894,
            "Server listening on x.",
            6,
        ),
        id="rfc5424-rsyslog-strips-one-space",
    ),
    pytest.param(
        "<38>1 2026-11-21T20:02:26Z vm sshd 20894 - -   two spaces kept",
        (utc(2026, 11, 21, 20, 2, 26), "vm", "sshd", 20894, " two spaces kept", 6),
        id="rfc5424-strips-exactly-one-space",
    ),
    pytest.param(
        "<38>1 2019-07-08T17:40:17.954167-04:00 h.example.com sshd 55555 - [timeQuality "
        'tzKnown="1"][x@123 test="[brackets]"] Failed password',
        (
            datetime(2019, 7, 8, 21, 40, 17, 954167, UTC),
            "h.example.com",
            "sshd",
            55555,
            "Failed password",
            6,
        ),
        id="rfc5424-structured-data",
    ),
    pytest.param(
        "<35>1 - - sshd - - - nil values",
        (None, None, "sshd", None, "nil values", 3),
        id="rfc5424-nil-values",
    ),
    pytest.param(
        "Apr  2 17:51:27 <4.3> pancake sshd[55624]: error: PAM: authentication error",
        (
            utc(2024, 4, 2, 17, 51, 27),
            "pancake",
            "sshd",
            55624,
            "error: PAM: authentication error",
            3,
        ),
        id="bsd-numeric-priority",
    ),
    pytest.param(
        "Mar 19 23:48:18 <auth.info> pancake sshd[55517]: Invalid user r00t",
        (utc(2024, 3, 19, 23, 48, 18), "pancake", "sshd", 55517, "Invalid user r00t", 6),
        id="bsd-named-priority",
    ),
    pytest.param(
        "Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive",
        (utc(2024, 3, 29, 5, 59, 23), "dusky", "sshd", 20878, "Failed keyboard-interactive", None),
        id="solaris-message-id",
    ),
    pytest.param(
        "Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin",
        (utc(2024, 6, 20, 2, 18, 39), "vps", "sshd", 13482, "Invalid user admin", None),
        id="facility-before-program",
    ),
    pytest.param(
        "2020-05-29T11:28:56+00:00 bastion sshd[20974] error: PAM: no colon",
        (utc(2020, 5, 29, 11, 28, 56), "bastion", "sshd", 20974, "error: PAM: no colon", None),
        id="no-colon-after-pid",
    ),
    pytest.param(
        "Jul  3 14:59:17 host sshd-session[1571]: Failed password for root",
        (
            utc(2024, 7, 3, 14, 59, 17),
            "host",
            "sshd-session",
            1571,
            "Failed password for root",
            None,
        ),
        id="program-sshd-session",
    ),
    pytest.param(
        "Jul  3 14:59:17 host sshd-auth[1572]: Failed publickey for root",
        (utc(2024, 7, 3, 14, 59, 17), "host", "sshd-auth", 1572, "Failed publickey for root", None),
        id="program-sshd-auth",
    ),
    pytest.param(
        "Apr 27 17:33:59 niban sshd(pam_unix)[9420]: authentication failure; user=dcid",
        (
            utc(2024, 4, 27, 17, 33, 59),
            "niban",
            "sshd(pam_unix)",
            9420,
            "authentication failure; user=dcid",
            None,
        ),
        id="program-sshd-pam-unix",
    ),
    pytest.param(
        "Apr 27 17:33:59 web1 sshd[9420]: pam_unix(sshd:auth): authentication failure",
        (
            utc(2024, 4, 27, 17, 33, 59),
            "web1",
            "sshd",
            9420,
            "pam_unix(sshd:auth): authentication failure",
            None,
        ),
        id="pam-line-of-sshd-service",
    ),
    pytest.param(
        "Apr 27 17:33:59 web1 CRON[12]: pam_unix(cron:session): session opened",
        (
            utc(2024, 4, 27, 17, 33, 59),
            "web1",
            "CRON",
            12,
            "pam_unix(cron:session): session opened",
            None,
        ),
        id="other-program",
    ),
]


@pytest.mark.parametrize(("line", "expected"), HEADERS)
def test_header_shapes(line, expected):
    h = parse_line(line, 2024)
    assert h is not None
    assert (h.ts, h.host, h.program, h.pid, h.message, h.priority) == expected


@pytest.mark.parametrize(
    "line",
    [
        "",
        "plain text",
        "Nov 21 20:02:26 vm -- MARK --",
        "12345",
        "<>1 x",
        "Foo 21 20:02:26 a b[1]: c",
        "Jun 25 23:53:34 [sshd] User root",
        "debug1: Reading configuration data /etc/ssh/ssh_config",
        "Connection closed by 192.0.2.1 port 22 [preauth]",
        "srv sshd[1]: no time stamp",
    ],
)
def test_lines_without_a_header(line):
    assert parse_line(line, 2024) is None


def test_yearless_flag_follows_the_stamp():
    assert parse_line("Jun 21 16:47:48 h sshd[1]: x", 2020).yearless  # type: ignore[union-attr]
    assert not parse_line("2020-06-21T16:47:48Z h sshd[1]: x", 2020).yearless  # type: ignore[union-attr]


def test_local_times_use_the_local_zone():
    _set_tz("EST5EDT,M3.2.0,M11.1.0")
    summer = parse_line("Jul  1 12:00:00 h sshd[1]: x", 2024)
    winter = parse_line("Jan  1 12:00:00 h sshd[1]: x", 2024)
    offsetless = parse_line("2024-07-01T12:00:00 h sshd[1]: x", 2024)
    assert summer is not None and summer.ts == utc(2024, 7, 1, 16, 0, 0)
    assert winter is not None and winter.ts == utc(2024, 1, 1, 17, 0, 0)
    assert offsetless is not None and offsetless.ts == utc(2024, 7, 1, 16, 0, 0)
    # Changing the zone in the same process is seen (no stale cache).
    _set_tz("UTC")
    again = parse_line("Jul  1 12:00:00 h sshd[1]: x", 2024)
    assert again is not None and again.ts == utc(2024, 7, 1, 12, 0, 0)


# --- the reader: lines and bytes -------------------------------------------------------


def test_every_line_is_yielded_with_its_number(tmp_path):
    path = write(
        tmp_path / "auth.log",
        "Jun 21 16:47:48 h sshd[1]: one\n"
        "garbage that is not syslog\n"
        "\n"
        "Jun 21 16:47:49 h CRON[2]: other program\n",
        datetime(2024, 7, 1, tzinfo=UTC),
    )
    recs = read_all(path)
    assert [(r.line, r.program, r.message) for r in recs] == [
        (1, "sshd", "one"),
        (2, "", "garbage that is not syslog"),
        (3, "", ""),
        (4, "CRON", "other program"),
    ]
    assert all(r.source == path for r in recs)
    assert recs[1].ts is None and recs[1].host is None


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        pytest.param(
            b"Jun 1 00:00:00 h sshd[1]: a\r\nJun 1 00:00:01 h sshd[1]: b\r\n", ["a", "b"], id="crlf"
        ),
        pytest.param(
            b"Jun 1 00:00:00 h sshd[1]: a\nJun 1 00:00:01 h sshd[1]: no newline",
            ["a", "no newline"],
            id="no-final-newline",
        ),
        pytest.param(
            b"Jun 1 00:00:00 h sshd[1]: Invalid user \xf1oo\xff from 1.2.3.4\n",
            ["Invalid user \ufffdoo\ufffd from 1.2.3.4"],
            id="invalid-utf8",
        ),
        pytest.param(
            b"\x00\x00\x00Jun 1 00:00:00 h sshd[1]: after\x00 nuls\n",
            ["after nuls"],
            id="nul-bytes",
        ),
        pytest.param(b"Jun 1 00:00:00 h sshd[1]: caf\xc3\xa9\n", ["caf\u00e9"], id="utf8"),
    ],
)
def test_awkward_bytes_never_crash(tmp_path, data, messages):
    path = write(tmp_path / "auth.log", data, datetime(2024, 7, 1, tzinfo=UTC))
    recs = read_all(path)
    assert [r.message for r in recs] == messages
    assert all(r.program == "sshd" for r in recs)


def test_message_repeated_gives_the_inner_message_and_count(tmp_path):
    path = write(
        tmp_path / "auth.log",
        "Mar 29 23:18:33 h sshd[6402]: message repeated 5 times: [ Failed password for root"
        " from 218.60.136.106 port 56338 ssh2]\n"
        "Mar 29 23:18:34 h sshd[6403]: message repeated 2 times: [ Connection closed by"
        " 1.2.3.4 port 22 [preauth]]\n",
        datetime(2024, 4, 1, tzinfo=UTC),
    )
    recs = read_all(path)
    assert [(r.repeat, r.message) for r in recs] == [
        (5, "Failed password for root from 218.60.136.106 port 56338 ssh2"),
        (2, "Connection closed by 1.2.3.4 port 22 [preauth]"),
    ]


def test_bsd_last_message_repeated_repeats_the_previous_record(tmp_path):
    path = write(
        tmp_path / "messages",
        "Mar 29 23:18:33 h sshd[64]: Failed password for root from 1.2.3.4 port 5 ssh2\n"
        "Mar 29 23:18:40 h last message repeated 3 times\n",
        datetime(2024, 4, 1, tzinfo=UTC),
    )
    first, second = read_all(path)
    assert (second.program, second.pid, second.message) == (first.program, 64, first.message)
    assert (second.repeat, second.line, second.ts) == (3, 2, utc(2024, 3, 29, 23, 18, 40))


def test_over_long_line_is_cut_and_the_next_line_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(syslog, "MAX_LINE", 1000)
    monkeypatch.setattr(syslog, "CHUNK", 256)
    long = "Jun 1 00:00:00 h sshd[1]: " + "x" * 5000
    path = write(
        tmp_path / "auth.log",
        long + "\nJun 1 00:00:01 h sshd[2]: next\n",
        datetime(2024, 7, 1, tzinfo=UTC),
    )
    recs = read_all(path)
    assert len(recs) == 2
    assert len(recs[0].message) < 1000 and recs[0].message.startswith("xxx")
    assert (recs[1].line, recs[1].message) == (2, "next")


# --- year inference ------------------------------------------------------------------


def test_year_comes_from_the_file_mtime(tmp_path):
    path = write(
        tmp_path / "auth.log", "Mar  1 10:00:00 h sshd[1]: x\n", datetime(2021, 3, 2, tzinfo=UTC)
    )
    assert read_all(path)[0].ts == utc(2021, 3, 1, 10, 0, 0)


def test_new_year_rollover_walks_december_back(tmp_path):
    path = write(
        tmp_path / "auth.log",
        "Dec 31 23:59:58 h sshd[1]: old year\nJan  1 00:00:02 h sshd[1]: new year\n",
        datetime(2025, 1, 2, 8, 0, tzinfo=UTC),
    )
    assert [r.ts for r in read_all(path)] == [
        utc(2024, 12, 31, 23, 59, 58),
        utc(2025, 1, 1, 0, 0, 2),
    ]


def test_time_later_than_mtime_plus_a_day_puts_the_whole_file_a_year_back(tmp_path):
    path = write(
        tmp_path / "auth.log",
        "Jun  1 12:00:00 h sshd[1]: within the day\nJul  1 12:00:00 h sshd[1]: future\n",
        datetime(2025, 6, 1, 0, 0, tzinfo=UTC),
    )
    assert [r.ts for r in read_all(path)] == [utc(2024, 6, 1, 12), utc(2024, 7, 1, 12)]


def test_year_never_flips_back_in_mid_file(tmp_path):
    # A copy made today of last year's file: its end is after today's date plus a day.
    lines = "".join(
        f"{day} {t} h sshd[{i}]: x\n"
        for i, (day, t) in enumerate(
            [("Nov 29", "23:00:00"), ("Nov 30", "09:00:00"), ("Dec  1", "10:57:45")]
        )
    )
    path = write(tmp_path / "auth.log", lines, datetime(2026, 11, 30, 10, 40, tzinfo=UTC))
    stamps = [r.ts for r in read_all(path)]
    assert stamps == sorted(stamps)
    assert [t.year for t in stamps] == [2025, 2025, 2025]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_wrap_from_december_to_january_is_the_only_year_change(tmp_path, compress):
    body = (
        "Dec 30 10:00:00 h sshd[1]: a\nDec 31 23:00:00 h sshd[1]: b\n"
        "Dec 31 22:00:00 h sshd[1]: out of order by an hour\n"
        "Jan  2 10:00:00 h sshd[1]: c\nMar  1 10:00:00 h sshd[1]: d\n"
    )
    path = tmp_path / ("auth.log.1.gz" if compress else "auth.log.1")
    if compress:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(body.encode())
        when = datetime(2024, 3, 1, 11, tzinfo=UTC).timestamp()
        os.utime(path, (when, when))
    else:
        write(path, body, datetime(2024, 3, 1, 11, tzinfo=UTC))
    assert [r.ts.year for r in read_all(str(path))] == [2023, 2023, 2023, 2024, 2024]


def test_given_year_is_the_first_lines_and_later_lines_wrap(tmp_path):
    # FreeBSD after a reinstall: two August lines, then the next spring.
    path = write(
        tmp_path / "auth.log",
        "Aug 28 19:14:05  sshd[53888]: Received signal 15; terminating.\n"
        "Apr 27 08:00:00 pirate sshd[600]: Server listening on 0.0.0.0 port 22.\n"
        "Apr 27 07:59:00 pirate sshd[601]: an hour out of order stays in its year\n",
    )
    assert [r.ts for r in read_all(path, year=2015)] == [
        utc(2015, 8, 28, 19, 14, 5),
        utc(2016, 4, 27, 8),
        utc(2016, 4, 27, 7, 59),
    ]


def test_tz_option_reads_local_times_in_that_zone(tmp_path):
    from zoneinfo import ZoneInfo

    path = write(
        tmp_path / "auth.log",
        "Jan 10 12:00:00 h sshd[1]: winter\nJul 10 12:00:00 h sshd[1]: summer\n"
        "2024-07-10T12:00:00+00:00 h sshd[1]: an offset is kept\n",
    )
    recs = read_all(path, year=2024, tz=ZoneInfo("Europe/Berlin"))
    assert [r.ts for r in recs] == [
        utc(2024, 1, 10, 11),
        utc(2024, 7, 10, 10),
        utc(2024, 7, 10, 12),
    ]


def test_february_29_finds_a_leap_year(tmp_path):
    path = write(
        tmp_path / "auth.log", "Feb 29 12:00:00 h sshd[1]: leap\n", datetime(2025, 3, 5, tzinfo=UTC)
    )
    assert read_all(path)[0].ts == utc(2024, 2, 29, 12)


def test_year_option_overrides_inference(tmp_path):
    path = write(
        tmp_path / "auth.log", "Dec 31 23:59:58 h sshd[1]: x\n", datetime(2025, 1, 2, tzinfo=UTC)
    )
    assert read_all(path, year=2019)[0].ts == utc(2019, 12, 31, 23, 59, 58)


def test_gzip_header_mtime_wins_over_the_file_mtime(tmp_path):
    body = b"Dec 30 10:00:00 h sshd[1]: a\nJan  2 10:00:00 h sshd[1]: b\n"
    gz = tmp_path / "auth.log.2.gz"
    with gzip.GzipFile(gz, "wb", mtime=int(datetime(2023, 1, 3, tzinfo=UTC).timestamp())) as f:
        f.write(body)
    later = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
    os.utime(gz, (later, later))
    assert [r.ts for r in read_all(str(gz))] == [utc(2022, 12, 30, 10), utc(2023, 1, 2, 10)]


def test_gzip_without_header_mtime_uses_the_file_mtime(tmp_path):
    gz = tmp_path / "auth.log.2.gz"
    with gzip.GzipFile(gz, "wb", mtime=0) as f:
        f.write(b"Dec 30 10:00:00 h sshd[1]: a\n")
    when = datetime(2022, 1, 3, tzinfo=UTC).timestamp()
    os.utime(gz, (when, when))
    assert read_all(str(gz))[0].ts == utc(2021, 12, 30, 10)


# --- compression and truncation --------------------------------------------------------

LINES = [f"Jun  1 10:{i // 60 % 60:02d}:{i % 60:02d} h sshd[{i}]: line {i}" for i in range(3000)]
BODY = ("\n".join(LINES) + "\n").encode()


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("auth.log.1.gz", gzip.compress),
        ("auth.log.1.bz2", bz2.compress),
        ("auth.log.1.xz", lzma.compress),
        ("auth.log.1", lambda b: gzip.compress(b[:1000]) + gzip.compress(b[1000:])),
    ],
    ids=["gzip", "bzip2", "xz", "gzip-two-members-without-suffix"],
)
def test_compressed_files_are_read_whole(tmp_path, name, pack):
    path = write(tmp_path / name, pack(BODY), datetime(2024, 7, 1, tzinfo=UTC))
    recs = read_all(path)
    assert [r.message for r in recs] == [f"line {i}" for i in range(3000)]


def test_truncated_gzip_yields_what_it_can_then_raises(tmp_path):
    packed = gzip.compress(BODY)
    path = write(tmp_path / "auth.log.2.gz", packed[: len(packed) * 2 // 3])
    got = []
    with pytest.raises(SourceError) as err:
        got.extend(SyslogReader().read(path, ReadOptions()))
    assert err.value.reason.startswith("truncated gzip")
    assert err.value.path == path and err.value.hint
    assert len(got) > 1000
    whole = [r.message for r in got[:-1]]
    assert whole == [f"line {i}" for i in range(len(whole))]  # an unbroken prefix
    assert f"line {len(whole)}".startswith(got[-1].message[:4])  # the cut-off line is kept


def test_corrupt_gzip_raises_a_source_error(tmp_path):
    packed = bytearray(gzip.compress(BODY))
    packed[200:260] = b"\xff" * 60
    path = write(tmp_path / "auth.log.2.gz", bytes(packed))
    with pytest.raises(SourceError, match="gzip"):
        read_all(path)


def test_reading_streams_instead_of_loading_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(syslog, "CHUNK", 16384)
    line = "Jun  1 10:00:00 web1 sshd[4242]: Connection closed by 192.0.2.1 port 4 [preauth]\n"
    path = tmp_path / "auth.log"
    with path.open("w") as f:
        for _ in range(25):
            f.write(line * 1000)  # 2 MB in total
    tracemalloc.start()
    try:
        count = sum(1 for _ in SyslogReader().read(str(path), ReadOptions(year=2024)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 25_000
    assert peak < path.stat().st_size / 4, peak


# --- stdin and errors --------------------------------------------------------------------


def test_stdin_bytes(monkeypatch):
    data = b"Jun  1 10:00:00 h sshd[1]: from a pipe\r\nnot syslog\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    recs = read_all("-")
    assert [(r.source, r.program, r.message) for r in recs] == [
        ("-", "sshd", "from a pipe"),
        ("-", "", "not syslog"),
    ]


def test_stdin_gzip(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(BODY))))
    assert len(read_all("-")) == 3000


def test_stdin_text_stream_without_buffer(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Jun  1 10:00:00 h sshd[1]: text\n"))
    assert [r.message for r in read_all("-")] == ["text"]


@pytest.mark.parametrize("stdin", [None, "closed"])
def test_closed_stdin_is_a_source_error(monkeypatch, stdin):
    stream = None
    if stdin == "closed":
        stream = io.TextIOWrapper(io.BytesIO(b""))
        stream.close()
    monkeypatch.setattr(sys, "stdin", stream)
    with pytest.raises(SourceError, match="standard input is closed"):
        read_all("-")


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file or directory"):
        read_all(str(tmp_path / "nope.log"))


def test_permission_denied_is_a_source_error_with_a_hint(tmp_path, monkeypatch):
    path = write(tmp_path / "auth.log", "Jun  1 10:00:00 h sshd[1]: x\n")
    real_open = builtins.open

    def guarded(file, *args, **kwargs):
        if str(file) == path:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    with pytest.raises(SourceError) as err:
        read_all(path)
    assert err.value.reason == "permission denied"
    assert "sudo" in err.value.hint and "adm" in err.value.hint


# --- sniffing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"Jun  1 10:00:00 h sshd[1]: x\nJun  1 10:00:01 h sshd[1]: y\n", True),
        (b"<38>1 2026-11-21T20:02:26Z vm sshd 1 - - x\n", True),
        (b"# A README\n\nSome prose about logs.\nMore prose.\n", False),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", False),
        (b"", False),
    ],
    ids=["rfc3164", "rfc5424", "prose", "binary", "empty"],
)
def test_sniff(head, expected):
    assert SyslogReader().sniff("x", head) is expected


# --- real corpora ------------------------------------------------------------------------

needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")


@needs_corpora
def test_real_auth_log_parses_every_line():
    path = str(CORPORA / "elastic-examples" / "suspicious_login_activity-auth.log")
    raw = Path(path).read_text().splitlines()
    recs = read_all(path, year=2017)
    assert len(recs) == len(raw)
    assert all(r.program and r.ts is not None for r in recs)
    assert sum(r.program == "sshd" for r in recs) == sum(" sshd[" in line for line in raw)
    assert any(r.repeat > 1 for r in recs)
    assert all(r.ts is None or r.ts.year == 2017 for r in recs)


@needs_corpora
@pytest.mark.skipif(not LAB.is_dir(), reason="lab captures are absent")
@pytest.mark.parametrize("scenario", sorted(p.name for p in LAB.iterdir()) if LAB.is_dir() else [])
def test_lab_capture_reads_the_same_in_three_formats(scenario):
    def fields(name: str) -> list[tuple]:
        recs = read_all(str(LAB / scenario / name), year=2026)
        assert all(r.ts is not None for r in recs)
        return [(r.host, r.program, r.pid, r.message, r.ts.replace(microsecond=0)) for r in recs]

    traditional = fields("syslog_traditional.log")
    assert traditional
    assert fields("syslog_precise.log") == traditional
    assert fields("syslog_5424.log") == traditional
