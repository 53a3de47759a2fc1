"""Text from logs and file names is shown literally: never markup, never terminal control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.renderers import RENDERERS, render
from logsleuth.renderers.safe import csv_cell, dumps, has_raw_control, visible

runner = CliRunner()

# What an attacker puts in the user name (sshd escapes control characters in user names
# it logs; a local `logger -t sshd` writer sends anything) and in other fields.
ESC = "\x1b"
OSC52 = f"{ESC}]52;c;aGVsbG8K\x07"
CLEAR = f"{ESC}[2J{ESC}c"
TITLE = f"{ESC}]0;pwned\x07"
C1 = "\x9b31m\x85"
HOSTILE_USERS = (
    "[/]",
    "[bold red]x[/bold red]",
    "[link=https://evil.example/]click[/link]",
    f"u{OSC52}",
    f"u{CLEAR}",
    f"u{TITLE}",
    f"u{C1}",
    "u\u2028v\u2029w",
    "u\u202eevil",
)


def _log(tmp_path: Path, host: str = "web01", users: tuple[str, ...] = HOSTILE_USERS) -> Path:
    lines = []
    for i, user in enumerate(users):
        pid, port = 1000 + i, 40000 + i
        lines += [
            f"Nov 21 06:25:0{i} {host} sshd[{pid}]: Connection from 192.0.2.7 port {port} "
            "on 10.0.0.1 port 22",
            f"Nov 21 06:25:0{i} {host} sshd[{pid}]: Invalid user {user} from 192.0.2.7 port {port}",
            f"Nov 21 06:25:0{i} {host} sshd[{pid}]: Failed password for invalid user {user} "
            f"from 192.0.2.7 port {port} ssh2",
            f"Nov 21 06:25:0{i} {host} sshd[{pid}]: Connection closed by invalid user {user} "
            f"192.0.2.7 port {port} [preauth]",
        ]
    lines.append(f"Nov 21 06:26:00 {host} sshd[99]: odd {OSC52} {CLEAR} {TITLE} [/] end")
    lines.append(f"Nov 21 06:26:01 {host} sshd[99]: also [bold]odd[/bold] {C1} \u2028")
    path = tmp_path / "auth.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hostile_report(tmp_path):
    return api.scan([str(_log(tmp_path, host=f"web{ESC}c\x0701"))], year=2026)


def test_visible_escapes_c0_del_c1_and_bidi():
    assert visible("a\x1b[2Jb\nc\td\x7fe\x9bf\u202eg") == "a\\x1b[2Jb\\nc\\td\\x7fe\\x9bf\\u202eg"
    assert visible("[bold]x[/bold] é ü 日本") == "[bold]x[/bold] é ü 日本"


def test_json_helper_escapes_what_json_leaves_raw():
    out = dumps({"u": "a\x7fb\x85c\u2028d\u2029e\x1b"})
    assert not has_raw_control(out, allow="")
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"u": "a\x7fb\x85c\u2028d\u2029e\x1b"}


@pytest.mark.parametrize("value", ["=1+2", "+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_csv_cells_never_start_a_formula(value):
    assert csv_cell(value).startswith("'")
    assert csv_cell("alice") == "alice"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_renderer_writes_a_raw_control_character(hostile_report, fmt):
    out = render(hostile_report, fmt)
    if fmt == "csv":  # RFC 4180 ends records with CRLF
        out = out.replace("\r\n", "\n")
    assert not has_raw_control(out), fmt
    assert "\u2028" not in out and "\u2029" not in out


def test_text_report_shows_markup_literally(hostile_report):
    out = render(hostile_report, "text", width=400)
    assert "[/]" in out
    assert "[bold red]x[/bold red]" in out
    assert "\\x1b]N;pwned\\x07" in out  # in the unmatched shapes (digits blanked)
    assert "web\\x1bc\\x0701" in out


@pytest.mark.parametrize("user", HOSTILE_USERS)
def test_each_user_name_is_shown_literally(tmp_path, user):
    report = api.scan([str(_log(tmp_path, users=(user,)))], year=2026)
    for color in (False, True):
        out = render(report, "text", color=color, width=400)
        assert f"{visible(user)} (1)" in out


def test_coloured_text_report_holds_only_its_own_styles(hostile_report):
    import re

    out = render(hostile_report, "text", color=True, width=400)
    # Strip rich's own SGR sequences; nothing else may remain.
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert not has_raw_control(stripped)
    assert "\x1b]8;" not in out  # no hyperlink escape (OSC 8) from [link=...]


def test_json_keeps_the_exact_user_names(hostile_report):
    doc = json.loads(render(hostile_report, "json"))
    users = {c["user"] for c in doc["connections"]}
    assert set(HOSTILE_USERS) <= users


def test_ndjson_escapes_line_separators(hostile_report):
    out = render(hostile_report, "ndjson")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(hostile_report.connections)
    assert "u\u2028v\u2029w" in {r["user.name"] for r in rows}


def test_cli_text_report_of_hostile_log(tmp_path):
    r = runner.invoke(app, ["scan", str(_log(tmp_path)), "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "[/]" in r.stdout
    assert not has_raw_control(r.stdout)


def test_stderr_error_lines_escape_file_names(tmp_path):
    name = tmp_path / f"x{ESC}]0;pwned\x07{ESC}c.log"
    r = runner.invoke(app, ["scan", str(name)])
    assert r.exit_code == 3
    assert "\\x1b]0;pwned" in r.stderr
    assert not has_raw_control(r.stderr)
    assert not has_raw_control(r.stdout)


def test_journal_message_with_newline_stays_one_line(tmp_path):
    entry = {
        "__REALTIME_TIMESTAMP": "1763706301000000",
        "__CURSOR": "s=1",
        "_HOSTNAME": "web01",
        "SYSLOG_IDENTIFIER": "sshd",
        "_COMM": "sshd",
        "_EXE": "/usr/sbin/sshd",
        "_UID": "0",
        "_PID": "77",
        "MESSAGE": "weird\nFAKE REPORT LINE: all good\x1b[2J",
    }
    path = tmp_path / "j.json"
    path.write_text(json.dumps(entry) + "\n")
    report = api.scan([str(path)])
    out = render(report, "text", width=400)
    assert not has_raw_control(out)
    assert not any(line.startswith("FAKE REPORT LINE") for line in out.splitlines())
    assert "weird\\nFAKE REPORT LINE" in out


def test_triage_output_escapes_control_characters(tmp_path):
    paste = (
        "OpenSSH_9.2p1 Debian-2, OpenSSL 3.0.11 19 Sep 2023\n"
        f"debug1: Connecting to h{ESC}]0;x\x07 [192.0.2.9] port 22.\n"
        "ssh: connect to host 192.0.2.9 port 22: Connection refused\x1b[2J\n"
    )
    for fmt in ("text", "json", "markdown"):
        r = runner.invoke(app, ["triage", "-", "--format", fmt], input=paste)
        assert r.exit_code == 0, r.output
        assert not has_raw_control(r.stdout), fmt
