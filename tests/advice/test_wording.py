"""What a careful admin reading the text report would object to: each fix with a firing
case and a near case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.renderers import render
from logsleuth.renderers.text import _fill
from tests.synth import Log, brute

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "auth.log")


@pytest.fixture(scope="module")
def report():
    return api.scan([SAMPLE], year=2026)


def text(columns: int) -> str:
    res = CliRunner().invoke(
        app, ["scan", SAMPLE, "--year", "2026", "--no-pager"], env={"COLUMNS": str(columns)}
    )
    assert res.exit_code == 0
    return res.stdout


def item(report, aid: str, host: str):
    return next(a for a in report.advice if a.id == aid and a.host == host)


def block(report, host: str):
    return next(b for b in report.config if b.host == host)


def test_an_option_the_log_shows_in_force_is_not_called_the_default(report):
    # jump01 logs `terminating inactive connection`: UnusedConnectionTimeout is set there.
    a = item(report, "idle-policy", "jump01")
    assert a.changes == ("jump01: UnusedConnectionTimeout (in force, value not known) -> none",)
    sshd = block(report, "jump01").sshd_config or ""
    assert "# UnusedConnectionTimeout: in force on jump01" in sshd
    assert "OpenSSH default none" not in sshd
    # near case: a default proposed beside a change (ClientAliveCountMax 3) is no change
    k = item(report, "path-idle-limit", "web01")
    assert not any("ClientAliveCountMax" in c for c in k.changes)
    assert "# ClientAliveCountMax: OpenSSH default 3" in (block(report, "web01").sshd_config or "")


def test_a_change_under_the_older_name_says_what_it_changes_from(report):
    changes = {c for a in report.advice for c in a.changes}
    assert "db01: ChallengeResponseAuthentication yes -> no" in changes  # OpenSSH 7.2-7.6
    # near case: the new name on a host known to run 8.7+
    assert "bastion: KbdInteractiveAuthentication yes -> no" in changes


def test_durations_in_advice_are_in_human_form(report):
    for a in report.advice:
        for said in (a.title, a.text, *a.because):
            assert not re.search(r"\b\d+ s\b", said), said
    k = item(report, "path-idle-limit", "web01")
    assert "every 5m00s" in k.title and "every 5m00s" in k.text
    # near case: the configuration keeps sshd's own unit (seconds)
    assert "ClientAliveInterval 300" in (k.snippet or "")
    assert "LoginGraceTime 30" in (block(report, "bastion").sshd_config or "")


def test_a_code_span_that_fits_is_never_folded():
    said = (
        "instead a ban tool or an nftables rate limit, e.g. "
        "`ct state new limit rate over 10/minute drop`"
    )
    lines = _fill(said, 60, "     ", "   ").split("\n")
    assert "     `ct state new limit rate over 10/minute drop`" in lines
    assert all(len(line) <= 60 for line in lines)
    # near case: a span longer than the line folds at its spaces rather than overflow
    long = "e.g. `" + " ".join(["word"] * 20) + "`"
    assert all(len(line) <= 40 for line in _fill(long, 40).split("\n"))


def test_the_config_header_reads_a_sentence_a_line_at_60_columns():
    out = text(60)
    assert "    # Check it with `sshd -t`, then reload sshd.\n" in out
    assert "# then `sshd -t`\n" not in out


def test_empty_table_columns_are_dropped():
    out = text(100)
    outbound = out[out.index("outbound ssh (this host as a client)") :]
    header = outbound.splitlines()[2]
    assert "conns" in header and "top client" not in header and "top user" not in header
    # near case: inbound causes have clients and users
    inbound = out[out.index("host bastion:") :]
    assert "top client" in inbound.splitlines()[3]
    sources = out[out.index("sources read") :].splitlines()[2]
    assert "unmatched" in sources and "note" not in sources


def test_the_sources_note_column_stays_when_a_source_has_a_note(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    res = CliRunner().invoke(app, ["scan", SAMPLE, str(empty), "--year", "2026"])
    sources = res.stdout[res.stdout.index("sources read") :].splitlines()[2]
    assert "note" in sources


def test_the_merged_host_block_says_which_value_covers_the_items(report):
    client = block(report, "web01").client_config or ""
    assert "# ServerAliveInterval: the items above propose 60, 300; 60 covers all" in client
    assert "    ServerAliveInterval 60" in client
    # near case: one proposal, no comment
    assert "ServerAliveCountMax: the items" not in client


def test_one_connection_on_one_host_is_singular(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 30 03:10:02 web01 sshd[4242]: Accepted publickey for alice from 192.0.2.7 port "
        "50122 ssh2: ED25519 SHA256:abc\n"
        "Nov 30 03:25:04 web01 sshd[4242]: Received disconnect from 192.0.2.7 port 50122:11: "
        "disconnected by user\n"
    )
    rep = api.scan([str(log)], year=2026)
    assert render(rep, "text").startswith("logsleuth: 1 connection on 1 host\n")
    assert "host web01: 1 connection, 1 authenticated" in render(rep, "text")
    assert render(rep, "markdown").startswith("# logsleuth: 1 connection on 1 host\n")
    assert "<title>logsleuth: 1 connection on 1 host</title>" in render(rep, "html")
    # near case: more than one
    assert "907 connections on 5 hosts" in render(api.scan([SAMPLE], year=2026), "markdown")


def _unexplained_log(tmp_path: Path) -> Path:
    """Sessions that end with PAM's `session closed` only: no line says why."""
    log = tmp_path / "a-rather-long-directory-name-for-the-logs" / "secure-20181125"
    log.parent.mkdir()
    log.write_text(
        "Nov 19 02:10:01 srv sshd[4242]: Accepted password for shane from 192.0.2.7 port "
        "50122 ssh2\n"
        "Nov 19 02:10:01 srv sshd[4242]: pam_unix(sshd:session): session opened for user "
        "shane by (uid=0)\n"
        "Nov 19 02:10:03 srv sshd[4242]: pam_unix(sshd:session): session closed for user shane\n"
    )
    return log


def test_no_evidence_header_without_evidence_lines(tmp_path):
    rep = api.scan([str(_unexplained_log(tmp_path))], year=2018)
    assert [c.cause for h in rep.hosts for c in h.causes] == ["unknown/no-disconnect-line"]
    assert "evidence (one line per cause)" not in render(rep, "text")
    # near case: a cause with a decisive line keeps the header and its line
    assert "evidence (one line per cause):\n  clean-exit/" in render(
        api.scan([SAMPLE], year=2026), "text"
    )


@pytest.mark.parametrize("columns", [60, 100])
def test_a_long_source_path_keeps_its_file_name(tmp_path, columns):
    log = _unexplained_log(tmp_path)
    rep = api.scan([str(log)], year=2018)
    out = render(rep, "text", width=columns)
    row = next(line for line in out.splitlines() if "syslog" in line and "3" in line)
    assert len(row) <= columns
    assert ("secure-20181125" in row) and (str(log) in row or "…" in row)


def test_an_item_over_several_hosts_names_them_all_in_markdown_and_html(report):
    md, page = render(report, "markdown"), render(report, "html")
    title = "14 sessions to 3 servers died"
    assert f"### 1. bastion, jump01, web01: {title}" in md
    assert f"<h3>bastion, jump01, web01: {title}" in page
    # near case: a one-host item names its host
    assert re.search(r"### \d+\. web01: Send keepalives every 5m00s", md)


def test_folded_sentences_never_restart_at_the_left_margin(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 30 03:10:02 pirate sshd[4242]: Accepted publickey for alice from 192.0.2.7 port "
        "50122 ssh2: ED25519 SHA256:abc\n"
        "Nov 30 03:25:04 pirate sshd[4242]: Received disconnect from 192.0.2.7 port 50122:11: "
        "disconnected by user\n"
    )
    out = render(api.scan([str(log)], year=2026), "text", width=50)
    assert "  nothing: no connection ended in a way a setting\n    would change\n" in out
    assert "host pirate: 1 connection, 1 authenticated, 0%\n  ended abnormally\n" in out
    # near case: at 100 columns each is one line
    wide = render(api.scan([str(log)], year=2026), "text", width=100)
    assert "host pirate: 1 connection, 1 authenticated, 0% ended abnormally\n" in wide


def test_password_guessing_on_one_host_names_it(tmp_path):
    log = Log()
    for i in range(12):
        brute(log, i * 20, "hermes", 3000 + i, "203.0.113.13", 55000 + i, f"user{i}")
    rep = api.scan([str(log.write(tmp_path / "auth.log"))], year=2026)
    (a,) = [a for a in rep.advice if a.id == "brute-force"]
    assert a.title == "Password guessing from 1 address on hermes"
    assert " on hermes; the busiest: 203.0.113.13 (12 connections)" in a.text
    # near case: several hosts are counted in the title and named in the text
    (b,) = [a for a in api.scan([SAMPLE], year=2026).advice if a.id == "brute-force"]
    assert b.title.endswith(" on 4 hosts")
    assert " on 4 hosts (bastion, db01, jump01, web01); the busiest" in b.text
