"""Attacker-chosen user names never move an address, a port or a user into the wrong field.

sshd logs the user name an unauthenticated client sends, escaping control characters but
not spaces, brackets, colons or quotes. For every sample of every catalogue entry that
captures a user, this injects the text that would mislead a careless regex into the user
name and checks that the classification keeps the true address, port and user (or that
the line is left unmatched, which is counted and shown, never misattributed).
Generated from the catalogue: a new entry is covered without new test code.
"""

from __future__ import annotations

import pytest

from logsleuth.catalogue import Pattern, load, split_envelope

CAT = load()

PAYLOADS = (
    " from 6.6.6.6 port 22",
    " 6.6.6.6 port 22",
    " from 6.6.6.6 port 22 ssh2",
    " 6.6.6.6 port 22: Change of username or service not allowed: y",
    " 6.6.6.6 port 22: Too many authentication failures",
    ": Change of username or service not allowed: y",
    " [preauth]",
    " ssh2",
    " port 22",
    " from 6.6.6.6",
    " by user root",
    "(uid=0)",
    " Accepted password for root from 6.6.6.6 port 22 ssh2",
    "Accepted password for root from 6.6.6.6 port 22 ssh2",
)
CHECKED = ("ip", "port", "user")

# Lines that read the same whatever the regex: the name's tail is indistinguishable from
# what sshd or PAM appends. Neither moves an address or port; the name loses its tail.
AMBIGUOUS = {
    # Old pam_unix writes "session opened for user NAME by ...", new "NAME(uid=N) by ...";
    # PAM lines name accounts that exist, and account names hold no parentheses.
    ("P101", "(uid=0)"): "old and new pam_unix session formats",
}


def _cases() -> list[tuple[Pattern, str, str]]:
    cases = []
    for p in CAT:
        if "user" not in p.fields:
            continue
        for s in p.samples:
            if "user" in s.fields:
                cases.extend((p, s.line, payload) for payload in PAYLOADS)
    return cases


CASES = _cases()


def _inject(p: Pattern, line: str, payload: str) -> tuple[str, dict[str, str]]:
    """The sample with ``payload`` appended to its user name, and the fields it must give."""
    level, body, phase = split_envelope(line)
    m = p.compiled.fullmatch(body)
    assert m is not None
    start, end = m.span("user")
    user = m.group("user") + payload
    new_body = body[:start] + user + body[end:]
    expected = {k: v for k, v in p.match(body).items() if k in CHECKED}
    expected["user"] = user
    new_line = (f"{level}: " if level else "") + new_body + (f" [{phase}]" if phase else "")
    return new_line, expected


def test_the_catalogue_has_user_entries_to_check():
    assert len({p.id for p, _, _ in CASES}) >= 40


@pytest.mark.parametrize(
    ("entry", "line", "payload"),
    CASES,
    ids=[f"{p.id}-{i}" for i, (p, _, _) in enumerate(CASES)],
)
def test_injected_user_name_keeps_address_port_and_user(entry, line, payload):
    if (entry.id, payload) in AMBIGUOUS:
        pytest.skip(AMBIGUOUS[entry.id, payload])
    new_line, expected = _inject(entry, line, payload)
    level, body, phase = split_envelope(line)
    if payload == " [preauth]" and phase is None and body.endswith(expected["user"][:-10]):
        # A name ending the message: its " [preauth]" tail is the preauth child's suffix.
        expected["user"] = expected["user"][:-10]
    _, body, _ = split_envelope(new_line)
    hit = CAT.match(body, entry.side)
    if hit is None:
        return  # unmatched: counted and shown, never attributed
    got = {k: v for k, v in hit[1].items() if k in CHECKED}
    assert got == expected, f"{hit[0].id} read {new_line!r}"


def test_forged_address_never_reaches_the_report(tmp_path):
    from logsleuth import api
    from logsleuth.renderers import render

    evil = "x 6.6.6.6 port 22: Change of username or service not allowed: y"
    lines = []
    for i in range(40):
        pid, port = 2000 + i, 50000 + i
        lines += [
            f"Nov 21 06:{i:02d}:00 web01 sshd[{pid}]: Connection from 192.0.2.7 port {port} "
            "on 10.0.0.1 port 22",
            f"Nov 21 06:{i:02d}:01 web01 sshd[{pid}]: Failed password for invalid user {evil} "
            f"from 192.0.2.7 port {port} ssh2",
            f"Nov 21 06:{i:02d}:02 web01 sshd[{pid}]: Disconnecting invalid user {evil} "
            f"192.0.2.7 port {port}: Change of username or service not allowed: "
            f"({evil},ssh-connection) -> (root,ssh-connection) [preauth]",
        ]
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    report = api.scan([str(log)], year=2026)
    assert report.connections
    assert {c.client_ip for c in report.connections} == {"192.0.2.7"}
    assert {c.user for c in report.connections} == {evil}
    for fmt in ("text", "json", "ndjson"):
        out = render(report, fmt, width=2000) if fmt == "text" else render(report, fmt)
        assert "6.6.6.6" not in out.replace(evil, ""), fmt
