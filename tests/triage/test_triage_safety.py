"""What triage prints is safe: paste values in commands and configs, anonymizing, markdown,
control characters, and an unreadable --server-log."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.testing import CliRunner

from logsleuth.cli import app
from logsleuth.triage import render_triage, triage_text, verdict

FORMATS = ("text", "json", "markdown")
_HOST_LINE = re.compile(r"^Host (?P<pattern>.*)$", re.MULTILINE)
_SAFE_PATTERN = re.compile(r"[A-Za-z0-9._:-]+")

HOSTILE = ["h$(id)", "h`id`", "a|b", "h;reboot", "h&&x", "h>out"]


def _pastes(v: str) -> list[str]:
    return [
        f"ssh: connect to host {v} port 22: Connection refused",
        f"ssh: Could not resolve hostname {v}: Name or service not known",
        f"ssh: connect to host {v} port 22: Connection timed out",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
        f"Host key for {v} has changed and you have requested strict checking.\n"
        "Host key verification failed.",
        f"$ ssh -J {v} target\nConnection closed by UNKNOWN port 65535",
        f"debug1: Authenticating to {v}:22 as 'u;id'\n"
        f"debug1: Offering public key: /home/u/my keys/{v} ED25519 SHA256:x explicit\n"
        "debug1: Offering public key: /home/u/.ssh/b ED25519 SHA256:y\n"
        "debug1: Offering public key: /home/u/.ssh/c ED25519 SHA256:z\n"
        "Received disconnect from 192.0.2.1 port 22:2: Too many authentication failures",
        f'Load key "/home/u/{v}": bad permissions\nPermission denied (publickey).',
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_paste_values_are_quoted_or_refused(value):
    for paste in _pastes(value):
        for r in triage_text(paste):
            snippet = r.remedy_snippet
            for m in _HOST_LINE.finditer(snippet):
                assert _SAFE_PATTERN.fullmatch(m.group("pattern").split()[0]), snippet
            # The value only ever appears inside single quotes (or not at all).
            for line in snippet.splitlines():
                code = line.split("  #", 1)[0]
                if code.lstrip().startswith("#"):
                    continue
                assert value not in re.sub(r"'[^']*'", "", code), (paste, snippet)


def test_a_refused_value_is_replaced_with_a_note():
    (r,) = triage_text("ssh: connect to host -oProxyCommand=x port 22: Connection refused")
    assert "-oProxyCommand" not in r.remedy_snippet
    assert "HOST" in r.remedy_snippet
    assert "not safe to paste" in r.remedy_text


def test_user_with_shell_characters_is_not_a_config_value():
    (r,) = triage_text(
        "debug1: Authenticating to web1:22 as 'a b;c'\nPermission denied (publickey)."
    )
    assert "User USER" in r.remedy_snippet
    assert "a b;c" not in r.remedy_snippet.replace(shlex.quote("a b;c"), "")


ANON = """\
$ ssh -v deploy@010.020.030.040
OpenSSH_9.6p1, OpenSSL 3.0.13 30 Jan 2024
debug1: Connecting to 010.020.030.040 [010.020.030.040] port 22.
debug1: Connection established.
debug1: Remote protocol version 2.0, remote software version OpenSSH_8.2p1 Ubuntu-4+acme-int-7
debug1: Authenticating to 010.020.030.040:22 as 'deploy'
debug1: Offering public key: Jane Q. Public (work laptop) ED25519 SHA256:aJC5DTlp7M1otO5tz agent
debug1: Authentications that can continue: publickey
Identity added: /home/deploy/.ssh/id_rsa (jane.public@example.org)
deploy@010.020.030.040: Permission denied (publickey).
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymize_hides_software_key_comments_and_zero_padded_addresses(fmt):
    out = render_triage(triage_text(ANON, anonymize=True), fmt)
    for secret in (
        "010.020.030.040",
        "10.20.30.40",
        "Ubuntu-4+acme-int-7",
        "Jane Q. Public",
        "work laptop",
        "jane.public",
        "deploy",
    ):
        assert secret not in out, (fmt, secret)
    if fmt == "json":
        assert json.loads(out)["attempts"][0]["server_software"].startswith("software-")


HOSTILE_TEXT = (
    "Received disconnect from 192.0.2.1 port 22:2: evil`` ```` `x "
    "<script>alert(1)</script> [x](http://e) "
    "\x1b]8;;http://e\x07link\x9b31m\u202egnp.exe\n"
)


def test_markdown_escapes_paste_text_and_fences_longer_than_any_backtick_run():
    md = render_triage(triage_text(HOSTILE_TEXT), "markdown")
    prose = re.sub(r"^(`{3,})text\n.*?^\1$", "", md, flags=re.MULTILINE | re.DOTALL)
    assert "<script>" not in prose and "[x](http" not in prose
    assert "<script>" in md  # shown, inside a code block
    blocks = re.findall(r"^(`{3,})text\n(.*?)^\1$", md, flags=re.MULTILINE | re.DOTALL)
    assert blocks and max(len(f) for f, _ in blocks) >= 5  # the paste has 4 backticks
    for fence, body in blocks:
        longest = max((len(r) for r in re.findall(r"`+", body)), default=0)
        assert len(fence) > longest


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_raw_control_or_bidi_characters_in_any_format(fmt):
    paste = (
        "ssh: connect to host web1 port 22: Connection refused\n"
        '{"msg": "Failed to connect to the host via ssh: Received disconnect from 192.0.2.1 '
        'port 22:2: bad\\u009b31m \\u202eexe\\u0007 text"}\n'
    )
    out = render_triage(triage_text(paste), fmt)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), fmt


def test_unreadable_server_log_is_a_one_line_error_and_exit_3(tmp_path):
    paste = tmp_path / "paste.txt"
    paste.write_text("ssh: connect to host web1 port 22: Connection refused\n")
    result = CliRunner().invoke(
        app, ["triage", str(paste), "--server-log", str(tmp_path / "missing.log")]
    )
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing.log" in lines[0], result.output
    assert "Traceback" not in result.output


def test_verdict_is_the_failed_attempt_and_json_always_has_top_level_keys():
    paste = (
        "$ ssh web1\nalice@web1: Permission denied (publickey).\n"
        "$ ssh -i k web1\nConnection to web1 closed.\n$ ssh -V\nOpenSSH_9.6p1, OpenSSL 3.0.13\n"
    )
    results = triage_text(paste)
    assert len(results) == 2  # `ssh -V` is not an attempt
    assert verdict(results).family == "auth-failure"
    doc = json.loads(render_triage(results, "json"))
    assert doc["family"] == "auth-failure" and doc["verdict_attempt"] == 1
    for key in ("schema", "stage", "family", "cause", "summary", "evidence", "remedy"):
        assert key in doc
