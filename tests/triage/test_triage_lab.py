"""Real `ssh -vvv` transcripts from the project's OpenSSH 10.5 lab, alone and joined with
the server's log of the same connections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logsleuth.triage import looks_like_transcript, render_triage, triage_text

LAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "openssh-10.5-lab"
pytestmark = pytest.mark.skipif(not LAB.is_dir(), reason="../shared/corpora is not present")

# scenario -> causes of its attempts, from the client transcript alone (see actions.txt)
CLIENT_ONLY = {
    "a_normal_exit": ["clean-exit/closed", "clean-exit/closed"],
    "b_server_keepalive_timeout": ["unknown/closed-by-remote"],
    "g_auth_failures": [
        "auth-failure/publickey-rejected",  # g1 wrong key
        "auth-failure/password-rejected",  # g2 wrong password
        "auth-failure/password-rejected",  # g3 invalid user
        "auth-failure/max-auth-tries",  # g4 MaxAuthTries
        "auth-failure/publickey-rejected",  # g5 root refused (the client cannot tell)
        "clean-exit/closed",  # g6 success
    ],
}


def scenarios():
    return sorted(d.name for d in LAB.iterdir() if (d / "client.txt").is_file())


@pytest.mark.parametrize("scenario", sorted(CLIENT_ONLY))
def test_client_transcript(scenario):
    text = (LAB / scenario / "client.txt").read_text(encoding="utf-8")
    assert looks_like_transcript(text[:20000])
    results = triage_text(text)
    assert [r.cause for r in results] == CLIENT_ONLY[scenario]
    for r in results:
        assert r.target == "127.0.0.1" and r.port == 2222
        assert r.client_version == "10.5p1"
        assert r.server_software == "OpenSSH_10.5"


def test_every_lab_transcript_triages():
    # New scenarios added to the lab must at least triage without error.
    for scenario in scenarios():
        text = (LAB / scenario / "client.txt").read_text(encoding="utf-8")
        results = triage_text(text)
        assert results
        for fmt in ("text", "json", "markdown"):
            assert render_triage(results, fmt)


def test_keepalive_stage_and_probes():
    text = (LAB / "b_server_keepalive_timeout" / "client.txt").read_text(encoding="utf-8")
    (r,) = triage_text(text)
    assert r.stage == "session"
    assert "keepalive@openssh.com" in r.explanation
    assert "ServerAliveInterval" in r.remedy_snippet


@pytest.mark.parametrize("scenario", sorted(CLIENT_ONLY))
def test_joined_with_server_log(scenario):
    pytest.importorskip("logsleuth.api")
    log = LAB / scenario / "syslog_traditional.log"
    text = (LAB / scenario / "client.txt").read_text(encoding="utf-8")
    results = triage_text(text, server_log=[str(log)])
    assert len(results) == len(CLIENT_ONLY[scenario])
    ports = set()
    for r in results:
        assert r.server_view and r.server_view.startswith("server log: connection from 127.0.0.1")
        ports.add(r.server_view.split(" port ", 1)[1].split(",", 1)[0])
    assert len(ports) == len(results), "each attempt joins a different connection"


def test_server_log_sharpens_the_keepalive_case():
    pytest.importorskip("logsleuth.api")
    d = LAB / "b_server_keepalive_timeout"
    (r,) = triage_text(
        (d / "client.txt").read_text(encoding="utf-8"), server_log=[str(d / "syslog_precise.log")]
    )
    assert (r.family, r.cause) == ("keepalive-timeout", "keepalive-timeout/client-alive")
    assert "Timeout, client not responding" in (r.server_view or "")


def test_anonymized_lab_transcript_hides_user_and_fingerprints():
    text = (LAB / "g_auth_failures" / "client.txt").read_text(encoding="utf-8")
    out = "".join(
        render_triage(triage_text(text, anonymize=True), f) for f in ("text", "json", "markdown")
    )
    for secret in (
        "sleuth",
        "nosuchuser",
        "127.0.0.1",
        "aJC5DTlp7M1otO5tzAcxQYmdTtiuoLGmsP4hY59mkws",
    ):
        # ("logsleuth" in the schema name is not the user)
        assert not re.search(rf"(?<![\w.]){re.escape(secret)}(?![\w])", out), secret
