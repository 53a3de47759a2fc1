"""Numbers and times out of range become absent values, never a crash of the whole scan."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.limits import MAX_USEC, MIN_USEC, bounded_int, in_range

runner = CliRunner()
BIG = "9" * 5000  # past Python's 4,300-digit int() limit
GOOD = (
    "Nov 21 06:25:01 web02 sshd[77]: Accepted password for al from 192.0.2.1 port 4000 ssh2\n"
    "Nov 21 06:35:01 web02 sshd[77]: Timeout, client not responding from user al "
    "192.0.2.1 port 4000\n"
)
CONN = "Connection from 192.0.2.7 port 50122 on 10.0.0.1 port 22"
HOSTILE = {
    "pid-2^31": f"Nov 21 06:25:01 web01 sshd[2147483648]: {CONN}",
    "pid-5000-digits": f"Nov 21 06:25:01 web01 sshd[{BIG}]: {CONN}",
    "port-2^31": "Nov 21 06:25:01 web01 sshd[12]: Connection from 192.0.2.7 port 2147483648 "
    "on 10.0.0.1 port 22",
    "port-5000-digits": f"Nov 21 06:25:01 web01 sshd[12]: Failed password for root from "
    f"192.0.2.8 port {BIG} ssh2",
    "port-arabic-digits": "Nov 21 06:25:01 web01 sshd[12]: Failed password for root from "
    "192.0.2.8 port \u0664\u0660\u0660\u0660 ssh2",
    "repeat-2^31-1-twice": "Nov 21 06:25:01 web01 sshd[13]: Connection from 192.0.2.8 port 4000"
    " on 10.0.0.1 port 22\n"
    + "Nov 21 06:25:01 web01 sshd[13]: message repeated 2147483647 times: [ Failed password "
    "for root from 192.0.2.8 port 4000 ssh2]\n" * 2,
    "repeat-5000-digits": f"Nov 21 06:25:01 web01 sshd[13]: message repeated {BIG} times: "
    "[ Failed password for root from 192.0.2.8 port 4000 ssh2]",
    "last-repeated-5000-digits": f"Nov 21 06:25:01 web01 sshd[13]: {CONN}\n"
    f"Nov 21 06:25:02 web01 last message repeated {BIG} times",
    "pam-count-huge": "Nov 21 06:25:01 web01 sshd[14]: PAM 99999999999999 more authentication "
    "failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root",
    "child-pid-huge": f"Nov 21 06:25:01 web01 sshd[15]: {CONN}\n"
    f"Nov 21 06:25:01 web01 sshd[15]: User child is on pid {BIG}",
    "year-9999-negative-offset": f"9999-12-31T23:59:59.999999-05:00 web01 sshd[16]: {CONN}",
    "year-0001-positive-offset": f"0001-01-01T00:00:00+05:00 web01 sshd[16]: {CONN}",
    "year-0001-utc": f"0001-01-01T00:00:00Z web01 sshd[16]: {CONN}",
    "rfc5424-year-9999": f"<13>1 9999-12-31T23:59:59-05:00 web01 sshd 1240 - - {CONN}",
    "rfc5424-pid-huge": f"<13>1 2026-11-21T06:25:01Z web01 sshd {BIG} - - {CONN}",
    "rfc3164-year-0001": f"Nov 21 06:25:01 0001 web01 sshd[17]: {CONN}",
    "rfc3339-local-year-9999": f"9999-12-31T23:59:59 web01 sshd[18]: {CONN}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_out_of_range_value_spares_the_scan(tmp_path, name):
    bad = tmp_path / "bad.log"
    bad.write_text(HOSTILE[name] + "\n")
    good = tmp_path / "good.log"
    good.write_text(GOOD)
    r = runner.invoke(app, ["scan", str(bad), str(good), "--year", "2026", "--format", "json"])
    assert r.exit_code == 0, (r.output, r.exception)
    doc = json.loads(r.stdout)
    by_path = {s["path"]: s for s in doc["sources"]}
    assert by_path[str(bad)]["lines"] == HOSTILE[name].count("\n") + 1
    assert any(c["host"] == "web02" and c["user"] == "al" for c in doc["connections"])
    for c in doc["connections"]:
        assert c["client_port"] is None or 0 <= c["client_port"] <= 65535
        assert 0 <= c["failures"] < 2**63


@pytest.mark.parametrize(
    "name", ["pid-5000-digits", "port-2^31", "repeat-5000-digits", "year-0001-utc"]
)
def test_out_of_range_values_are_noted(tmp_path, name):
    bad = tmp_path / "bad.log"
    bad.write_text(HOSTILE[name] + "\n")
    (src,) = api.scan([str(bad)], year=2026).sources
    assert src.error is None
    assert src.note and "out of range" in src.note


def test_bounded_int():
    assert bounded_int("65535", 65535) == 65535
    assert bounded_int("65536", 65535) is None
    assert bounded_int(BIG) is None
    assert bounded_int("\u0664\u0660") is None
    assert bounded_int("") is None and bounded_int(None) is None


def test_time_bounds_are_inside_datetime_arithmetic():
    from datetime import UTC, datetime, timedelta

    assert in_range(datetime(1, 1, 1, tzinfo=UTC)) is None
    assert MIN_USEC < 0 < MAX_USEC
    # A week of slack each way stays representable.
    datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=MAX_USEC) + timedelta(days=7)
