"""Units of the triage: input cleaning, attempt splitting, anonymizing, joining, routing."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime

import pytest

from logsleuth import catalogue
from logsleuth.errors import ExitCode, LogsleuthError
from logsleuth.model import Connection, Evidence
from logsleuth.triage import NotSshOutput, looks_like_transcript, render_triage, triage_text
from logsleuth.triage.anonymize import Anonymizer
from logsleuth.triage.diagnose import diagnose
from logsleuth.triage.join import adopt, match_connections
from logsleuth.triage.parse import classify, clean
from logsleuth.triage.remedy import keepalive_interval
from logsleuth.triage.split import split_attempts
from logsleuth.triage.stages import STAGES

SERVER_LOG = (
    "Nov 21 10:00:01 web1 sshd-session[812]: Accepted publickey for alice from 192.0.2.7 "
    "port 50122 ssh2: ED25519 SHA256:aJC5DTlp7M1otO5tzAcxQYmdTtiuoLGmsP4hY59mkws\n"
    "Nov 21 10:00:09 web1 sshd-session[812]: Disconnected from user alice 192.0.2.7 port 50122\n"
)


@pytest.mark.parametrize(
    "paste",
    [
        "",
        "   \n\n",
        "hello world\nthis is not a log\n",
        "\x1b[31m$ ls\x1b[0m\nfoo bar\n",
        SERVER_LOG,
        "\x00\x01\x02 binary \xff junk",
    ],
    ids=["empty", "blank", "prose", "shell", "server-log", "binary"],
)
def test_not_ssh_output(paste):
    with pytest.raises(NotSshOutput) as exc:
        triage_text(paste)
    err = exc.value
    assert isinstance(err, LogsleuthError)
    assert err.exit_code == ExitCode.NO_INPUT == 3
    assert "this does not look like ssh output" in str(err)
    assert err.hint


def test_server_log_paste_hints_at_scan():
    with pytest.raises(NotSshOutput) as exc:
        triage_text(SERVER_LOG)
    assert "logsleuth scan" in (exc.value.hint or "")


def test_clean_strips_terminal_junk_and_reads_timestamps():
    lines = clean(
        "\x1b[1;31mNov 21 10:00:01 debug1: Connection established.\x1b[0m\r\n"
        "2026-11-21 10:00:03.250 Connection to web1 closed.\r\n"
        "[10:00:04] ssh: connect to host web1 port 22: Connection refused\n"
        "progress 10%\rprogress 100%\r\n"
        "alice@laptop:~$ ssh -vvv web1\n"
    )
    assert [ln.text for ln in lines] == [
        "debug1: Connection established.",
        "Connection to web1 closed.",
        "ssh: connect to host web1 port 22: Connection refused",
        "progress 100%",
        "alice@laptop:~$ ssh -vvv web1",
    ]
    assert [ln.no for ln in lines] == [1, 2, 3, 4, 5]
    assert lines[0].ts == datetime(2000, 11, 21, 10, 0, 1)
    assert lines[1].ts == datetime(2026, 11, 21, 10, 0, 3, 250000)
    assert lines[2].ts is not None and lines[2].ts.second == 4
    assert lines[4].command == "ssh -vvv web1"


def test_error_printed_after_a_remote_prompt_is_recognised():
    (r,) = triage_text("alice@web1:~$ client_loop: send disconnect: Broken pipe\n")
    assert r.cause == "network-drop/broken-pipe"


def test_plink_and_event_log_prefixes():
    (r,) = triage_text(
        'Event Log: Looking up host "h1" for SSH connection\n'
        "FATAL ERROR: Network error: Connection refused\n"
    )
    assert (r.stage, r.cause, r.client) == ("connect", "connect-failure/refused", "putty")


def test_prompts_split_attempts():
    paste = (
        "$ ssh a.example.com\nssh: connect to host a.example.com port 22: Connection refused\n"
        "$ ssh b.example.com\nHost key verification failed.\n"
    )
    results = triage_text(paste)
    assert [(r.target, r.cause) for r in results] == [
        ("a.example.com", "connect-failure/refused"),
        ("b.example.com", "host-key/verification-failed"),
    ]
    assert [r.lines for r in results] == [(1, 2), (3, 4)]


def test_jump_leg_is_listed_before_its_target():
    paste = (
        "debug1: OpenSSH_9.6p1, OpenSSL 3.0.13 30 Jan 2024\n"
        "debug1: Executing proxy command: exec ssh -W '[db1]:22' jump1\n"
        "debug1: OpenSSH_9.6p1, OpenSSL 3.0.13 30 Jan 2024\n"
        "debug1: Connecting to jump1 [198.51.100.1] port 22.\n"
        "Permission denied (publickey).\n"  # the <= 7.5 wording, without user@host
        "kex_exchange_identification: Connection closed by remote host\n"
        "Connection closed by UNKNOWN port 65535\n"
    )
    cat = catalogue.load()
    attempts = split_attempts(classify(clean(paste), cat))
    assert [a.role for a in attempts] == ["jump", "target"]
    results = triage_text(paste)
    assert [r.cause for r in results] == [
        "auth-failure/no-key-offered",
        "proxy-failure/proxy-exited",
    ]
    assert "jump-host leg" in results[1].explanation


def test_keepalive_interval_is_below_half_the_silence():
    assert keepalive_interval(None) == 60
    for silence in (12, 25, 61, 100, 301, 3600):
        assert keepalive_interval(silence) < silence / 2 or keepalive_interval(silence) == 5
    assert keepalive_interval(100) == 30
    assert keepalive_interval(3600) == 60


def test_anonymizer_is_consistent_and_keeps_shapes():
    anon = Anonymizer(key=b"k")
    anon.learn(["debug1: Authenticating to db1.example.org:22 as 'alice'"])
    a = anon(
        "alice@db1.example.org 192.0.2.7 2001:db8::7 /home/alice/.ssh/id_rsa "
        "C:\\Users\\alice\\.ssh\\id_rsa SHA256:aJC5DTlp7M1otO5tzAcxQYmdTtiuoLGmsP4hY59mkws "
        "MD5:9d:38:5b:83:a9:17:52:92:56:1a:5e:c4:d4:81:8e:0a"
    )
    b = Anonymizer(key=b"k")
    b.learn(["debug1: Authenticating to db1.example.org:22 as 'alice'"])
    assert a == b(
        "alice@db1.example.org 192.0.2.7 2001:db8::7 /home/alice/.ssh/id_rsa "
        "C:\\Users\\alice\\.ssh\\id_rsa SHA256:aJC5DTlp7M1otO5tzAcxQYmdTtiuoLGmsP4hY59mkws "
        "MD5:9d:38:5b:83:a9:17:52:92:56:1a:5e:c4:d4:81:8e:0a"
    )
    for secret in ("alice", "db1", "192.0.2.7", "2001:db8::7", "aJC5DT", "9d:38:5b"):
        assert secret not in a
    words = a.split()
    ipaddress.IPv4Address(words[1])
    ipaddress.IPv6Address(words[2])
    assert words[3].startswith("/home/user-") and words[3].endswith("/.ssh/id_rsa")
    user = words[0].split("@")[0]
    assert words[3] == f"/home/{user}/.ssh/id_rsa"  # same user, same pseudonym
    assert words[5].startswith("SHA256:") and len(words[5]) == len("SHA256:") + 43
    assert (
        anon("algorithms: curve25519-sha256@libssh.org")
        == "algorithms: curve25519-sha256@libssh.org"
    )
    assert Anonymizer(key=b"other")("192.0.2.7") != anon("192.0.2.7")


def test_anonymize_covers_json_fields():
    paste = (
        "debug1: Authenticating to db1.example.org:22 as 'alice'\n"
        "alice@db1.example.org: Permission denied (publickey).\n"
    )
    (r,) = triage_text(paste, anonymize=True)
    doc = json.loads(render_triage([r], "json"))
    flat = json.dumps(doc)
    assert "alice" not in flat and "db1" not in flat
    assert doc["target"] == r.target and r.target.startswith("host-")
    assert r.user is not None and r.user.startswith("user-")


def _conn(i, user, start, family="auth-failure", fp=None, port=40000, authenticated=False):
    text = f"Failed publickey for {user} from 127.0.0.1 port {port} ssh2" + (
        f": ED25519 {fp}" if fp else ""
    )
    return Connection(
        i,
        "web1",
        "127.0.0.1",
        port + i,
        user,
        authenticated,
        None,
        start,
        start,
        family,
        f"{family}/x",
        None,
        (Evidence("auth.log", i, text),),
    )


def test_join_prefers_fingerprint_and_keeps_order():
    fp = "SHA256:aJC5DTlp7M1otO5tzAcxQYmdTtiuoLGmsP4hY59mkws"
    paste = (
        "debug1: OpenSSH_10.5p1, OpenSSL 3.0.19 27 Jan 2026\n"
        "debug1: Authenticating to web1:22 as 'alice'\n"
        f"debug1: Offering public key: /home/alice/.ssh/id_ed25519 ED25519 {fp}\n"
        "alice@web1: Permission denied (publickey).\n"
        "debug1: OpenSSH_10.5p1, OpenSSL 3.0.19 27 Jan 2026\n"
        "debug1: Authenticating to web1:22 as 'bob'\n"
        "bob@web1: Permission denied (publickey).\n"
    )
    cat = catalogue.load()
    findings = [diagnose(a) for a in split_attempts(classify(clean(paste), cat))]
    t0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    conns = [
        _conn(1, "alice", t0),
        _conn(2, "alice", t0.replace(minute=1), fp=fp),
        _conn(3, "bob", t0.replace(minute=2)),
    ]
    matches = match_connections(findings, conns)
    assert [m.connection.id if m else None for m in matches] == [2, 3]
    assert "key fingerprint" in matches[0].reasons


def test_join_by_timestamp_in_any_time_zone():
    paste = (
        "Nov 21 12:00:05 debug1: Authenticating to web1:22 as 'carol'\n"
        "Nov 21 12:00:06 Connection closed by 192.0.2.1 port 22\n"
    )
    cat = catalogue.load()
    (fd,) = [diagnose(a) for a in split_attempts(classify(clean(paste), cat))]
    early = _conn(1, "carol", datetime(2026, 11, 21, 9, 37, 0, tzinfo=UTC))
    right = _conn(2, "carol", datetime(2026, 11, 21, 10, 0, 6, tzinfo=UTC))  # client at UTC+2
    (m,) = match_connections([fd], [early, right])
    assert m is not None and m.connection.id == 2 and "time" in m.reasons


def test_adopt_only_replaces_what_the_client_cannot_know():
    paste = (
        "debug1: Authenticating to web1:22 as 'u'\n"
        'debug1: Authenticated to web1 ([192.0.2.1]:22) using "publickey".\n'
        "Connection to web1 closed by remote host.\n"
    )
    cat = catalogue.load()
    (fd,) = [diagnose(a) for a in split_attempts(classify(clean(paste), cat))]
    assert fd.cause == "unknown/closed-by-remote"
    conn = _conn(1, "u", None, family="idle-policy", authenticated=True)
    (m,) = match_connections([fd], [conn])
    assert m is not None and adopt(fd, m)
    assert (fd.family, fd.cause) == ("idle-policy", "idle-policy/x")


def test_looks_like_transcript():
    assert looks_like_transcript("debug1: OpenSSH_10.5p1, OpenSSL 3.0.19 27 Jan 2026\n")
    assert looks_like_transcript("ssh: connect to host h port 22: Connection refused\n")
    assert looks_like_transcript("Network error: Software caused connection abort\n")
    assert not looks_like_transcript(SERVER_LOG)
    assert not looks_like_transcript("")
    assert not looks_like_transcript(
        "Connection closed by 192.0.2.1 port 50122 [preauth]\n"
        "Accepted publickey for alice from 192.0.2.1 port 1 ssh2\n"
    )


def test_unknown_format_is_a_usage_error():
    (r,) = triage_text("Host key verification failed.\n")
    with pytest.raises(LogsleuthError) as exc:
        render_triage([r], "yaml")
    assert exc.value.exit_code == ExitCode.USAGE


def test_client_entries_name_known_stages():
    client = [p for p in catalogue.load() if p.side == "client"]
    assert len(client) > 80
    for p in client:
        assert p.stage is None or p.stage in STAGES, p.id
        assert p.id.startswith("C")


def test_no_error_line_is_unknown_with_the_stage_reached():
    (r,) = triage_text(
        "debug1: Connecting to h [192.0.2.1] port 22.\ndebug1: Connection established.\n"
        "debug1: Remote protocol version 2.0, remote software version OpenSSH_9.6\n"
    )
    assert (r.stage, r.family, r.cause) == ("kex", "unknown", "unknown/no-error-line")
    assert "ssh -vvv" in r.remedy_snippet
