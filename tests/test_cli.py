"""The command line: exit codes, one-line errors for bad input, formats, subcommands."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth.cli import app
from logsleuth.readers import READERS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "sample_logs" / "auth.log")
runner = CliRunner()

GOOD = (
    "2026-11-03T08:00:00.000000+00:00 h sshd[5]: Accepted password for al from 192.0.2.1 "
    "port 4000 ssh2\n"
    "2026-11-03T08:10:00.000000+00:00 h sshd[6]: Timeout, client not responding from user al "
    "192.0.2.1 port 4000\n"
)


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_scan_json_of_a_good_file(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    r = run("scan", str(log), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (c,) = doc["connections"]
    assert (c["family"], c["user"], c["client_port"], c["duration_s"]) == (
        "keepalive-timeout",
        "al",
        4000,
        600.0,
    )


def test_plain_output_when_not_a_terminal(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    r = run("scan", str(log))
    assert r.exit_code == 0
    assert "\x1b[" not in r.stdout
    assert "keepalive-timeout" in r.stdout


def _missing(d: Path) -> Path:
    return d / "missing.log"


def _empty(d: Path) -> Path:
    (d / "empty.log").touch()
    return d / "empty.log"


def _binary(d: Path) -> Path:
    (d / "bin.log").write_bytes(bytes(range(256)) * 40)
    return d / "bin.log"


def _emptydir(d: Path) -> Path:
    (d / "sub").mkdir()
    return d / "sub"


@pytest.mark.parametrize(
    "make,needle",
    [
        (_missing, "no such file"),
        (_empty, "empty"),
        (_binary, "not"),
        (_emptydir, "no log"),
    ],
)
def test_bad_input_is_one_line_exit_3_and_other_files_still_read(tmp_path, make, needle):
    bad = make(tmp_path)
    good = tmp_path / "auth.log"
    good.write_text(GOOD)
    r = run("scan", str(bad), str(good), "--format", "json")
    assert r.exit_code == 3, r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("logsleuth: error")]
    assert len(errors) == 1 and str(bad) in errors[0] and needle in errors[0].lower(), r.stderr
    assert "Traceback" not in r.output
    doc = json.loads(r.stdout)
    assert doc["connections"][0]["family"] == "keepalive-timeout"
    assert any(s["error"] for s in doc["sources"])


def test_truncated_gzip_keeps_what_was_readable(tmp_path):
    body = GOOD * 2000
    data = gzip.compress(body.encode())
    gz = tmp_path / "auth.log.2.gz"
    gz.write_bytes(data[: len(data) // 2])
    r = run("scan", str(gz), "--format", "json")
    assert r.exit_code == 3
    assert "truncated" in r.stderr.lower() or "corrupt" in r.stderr.lower()
    (src,) = json.loads(r.stdout)["sources"]
    assert src["lines"] > 0 and src["error"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_says_sudo_or_adm(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    log.chmod(0)
    r = run("scan", str(log))
    assert r.exit_code == 3
    assert "sudo" in r.stderr and "adm" in r.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run("scan", SAMPLE, "--format", "yaml").exit_code == 2
    assert run("scan", SAMPLE, "--since", "yesterday-ish").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_fail_on_a_family_seen_exits_1(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    assert run("scan", str(log), "--fail-on", "keepalive-timeout").exit_code == 1
    assert run("scan", str(log), "--fail-on", "server-limit").exit_code == 0


def test_stdin(tmp_path):
    r = run("scan", "-", "--format", "json", input=GOOD)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["connections"][0]["family"] == "keepalive-timeout"


def test_output_file(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    out = tmp_path / "report.json"
    assert run("scan", str(log), "--format", "json", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["schema"] == "logsleuth.report/1"


def test_explain_matched_and_unmatched():
    r = run(
        "explain",
        "Nov 21 06:25:01 web01 sshd[1234]: Timeout, client not responding "
        "from user alice 192.0.2.7 port 50122",
    )
    assert r.exit_code == 0
    assert "keepalive-timeout" in r.stdout and "ip = 192.0.2.7" in r.stdout
    assert "user = alice" in r.stdout and "remedy" in r.stdout
    r = run("explain", "sshd[1]: something sshd never says")
    assert r.exit_code == 1 and "unmatched" in r.stdout


def test_patterns_list_show_check():
    r = run("patterns", "list")
    assert r.exit_code == 0 and "D101" in r.stdout and len(r.stdout.splitlines()) > 150
    r = run("patterns", "show", "d101")
    assert r.exit_code == 0 and "sample:" in r.stdout and "client-alive" in r.stdout
    assert run("patterns", "show", "Z999").exit_code == 2
    assert run("patterns", "check").exit_code == 0


def test_patterns_check_reports_a_broken_user_entry(tmp_path):
    (tmp_path / "mine.toml").write_text("""
[[pattern]]
id = "U901"
name = "mine"
side = "server"
family = "unknown"
cause = "unknown/mine"
role = "end"
regex = '^my line (?P<ip>\\S+)$'
summary = "s"
explanation = "e"
remedy = "r"
[[pattern.sample]]
line = "my line 1.2.3.4"
fields = { ip = "9.9.9.9" }
""")
    r = run("patterns", "check", str(tmp_path))
    assert r.exit_code == 4
    assert "U901" in r.stderr and "9.9.9.9" in r.stderr


def test_user_patterns_classify_extra_lines(tmp_path):
    (tmp_path / "mine.toml").write_text("""
[[pattern]]
id = "U902"
name = "site-banner-probe"
side = "server"
family = "preauth-probe"
cause = "preauth-probe/site-specific"
role = "end"
regex = '^site gate closed for (?P<ip>\\S+) port (?P<port>\\d+)$'
summary = "s"
explanation = "e"
remedy = "r"
[[pattern.sample]]
line = "site gate closed for 1.2.3.4 port 5"
fields = { ip = "1.2.3.4", port = "5" }
""")
    log = tmp_path / "auth.log"
    log.write_text("2026-11-03T08:00:00+00:00 h sshd[5]: site gate closed for 192.0.2.9 port 7\n")
    r = run("scan", str(log), "--patterns", str(tmp_path), "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["connections"][0]["cause"] == "preauth-probe/site-specific"
    assert doc["sources"][0]["unmatched"] == 0


def test_transcript_given_to_scan_is_triaged(tmp_path):
    paste = tmp_path / "paste.txt"
    paste.write_text(
        "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024\n"
        "debug1: Connecting to web1 [192.0.2.5] port 22.\n"
        "ssh: connect to host web1 port 22: Connection refused\n"
    )
    r = run("scan", str(paste))
    assert r.exit_code == 0, r.output
    assert "connect-failure" in r.stdout and "triag" in r.stderr


def test_python_dash_m_and_version():
    r = subprocess.run(
        [sys.executable, "-m", "logsleuth", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and r.stdout.startswith("logsleuth ")


def test_reader_option_reads_a_file_auto_detection_refuses(tmp_path):
    log = tmp_path / "notes.txt"
    log.write_text("copied from a console:\nsee below\nmore notes\n" + GOOD)
    refused = run("scan", str(log))
    assert refused.exit_code == 3
    assert f"--reader ({', '.join(READERS)})" in " ".join(refused.output.split())
    r = run("scan", str(log), "--reader", "syslog", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["sources"][0]["reader"] == "syslog" and len(doc["connections"]) == 1


def test_unknown_reader_is_a_usage_error_that_lists_the_readers(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(GOOD)
    r = run("scan", str(log), "--reader", "apache")
    assert r.exit_code == 2
    assert "unknown reader 'apache'" in r.output and ", ".join(READERS) in r.output
    assert "--reader" in run("scan", "--help").output


def test_tz_option_moves_rfc3164_times_and_a_bad_zone_is_a_usage_error(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(
        "Jul  3 08:00:00 h sshd[5]: Accepted password for al from 192.0.2.1 port 4000 ssh2\n"
    )
    r = run("scan", str(log), "--year", "2026", "--tz", "America/New_York", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["connections"][0]["start"].startswith("2026-07-03T12:00:00")
    bad = run("scan", str(log), "--tz", "Mars/Olympus")
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output
    assert "Traceback" not in bad.output
