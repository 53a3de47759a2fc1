"""Huge or odd command-line and sshd_config values: exit 2 naming the option or the line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from logsleuth.cli import app

runner = CliRunner()
BIG = "9" * 5000
GOOD = "Nov 21 06:25:01 web02 sshd[77]: Accepted password for al from 192.0.2.1 port 4000 ssh2\n"


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "auth.log"
    path.write_text(GOOD)
    return str(path)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--since", "99999999999999999d"),
        ("--until", "9999999999999999999w"),
        ("--since", f"{BIG}s"),
        ("--since", "9999-12-31T23:59:59-05:00"),
        ("--until", "0001-01-01T00:00:00+05:00"),
        ("--since", "0001-01-01"),
        ("--year", "99999"),
        ("--year", "0"),
        ("--year", BIG),
    ],
)
def test_out_of_range_option_is_a_usage_error(log, option, value):
    r = runner.invoke(app, ["scan", log, option, value])
    assert r.exit_code == 2, (r.output, r.exception)
    assert option in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("ClientAliveInterval 99999999999999999999", "ClientAliveInterval"),
        (f"ClientAliveInterval {BIG}", "ClientAliveInterval"),
        ("LoginGraceTime 99999999999999999999", "LoginGraceTime"),
        ("LoginGraceTime 99999999999w", "LoginGraceTime"),
        ("ClientAliveCountMax 99999999999", "ClientAliveCountMax"),
        ("UnusedConnectionTimeout 999999999999999999999", "UnusedConnectionTimeout"),
    ],
)
def test_out_of_range_sshd_config_value_names_the_line(log, tmp_path, line, key):
    conf = tmp_path / "sshd_config"
    conf.write_text(f"# test\nPort 22\n{line}\n")
    r = runner.invoke(app, ["scan", log, "--year", "2026", "--sshd-config", str(conf)])
    assert r.exit_code == 2, (r.output, r.exception)
    assert f"{conf}:3" in r.stderr and key in r.stderr
    assert len(r.stderr) < 1000  # the 5,000-digit value is not echoed whole


def test_sane_values_still_work(log, tmp_path):
    conf = tmp_path / "sshd_config"
    conf.write_text("ClientAliveInterval 2147483647\nLoginGraceTime 1h30m\n")
    r = runner.invoke(
        app, ["scan", log, "--year", "2026", "--since", "3650d", "--sshd-config", str(conf)]
    )
    assert r.exit_code == 0, r.output
