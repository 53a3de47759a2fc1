"""What each scenario must look like to logsleuth, on the server and on the client side.

``family`` is the right answer for the scenario's ssh connection(s): what really
happened, not what logsleuth happens to say today. ``cause_hint`` is a word the cause id
must contain where the logs make the cause unambiguous. ``raw_family`` covers the idle
TCP connections some scenarios open without ever sending a banner.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    """Expected classification of one scenario."""

    family: str | None
    """None: the scenario has no ssh client connection (only raw TCP ones)."""
    cause_hint: str | None = None
    raw_family: str | None = None
    client_family: str | None = None
    """Family of the client's ``ssh -vvv`` transcript (None: nothing to assert)."""
    client_cause_hint: str | None = None
    xfail: dict[str, str] = field(default_factory=dict)
    """Form (E, 3164, 3339, journal, client) -> why logsleuth gets it wrong today."""
    needs_netns: bool = False


EXPECT: dict[str, Expect] = {
    "clean-exit": Expect("clean-exit", client_family="clean-exit"),
    # The client cannot tell why the server closed: only "closed by remote host".
    "server-keepalive": Expect("keepalive-timeout", "client-alive", client_family="unknown"),
    # After the thaw sshd finds the client gone (Broken pipe on a keepalive reply).
    "client-keepalive": Expect(
        "network-drop", client_family="keepalive-timeout",
    ),
    # The killed client leaves a transcript that just stops: nothing to triage.
    "client-killed": Expect("network-drop"),
    "unused-connection-timeout": Expect("idle-policy", client_family="unknown"),
    # In the -E form there is no PAM line: the listener's signal after the session's last
    # line is the only trace.
    "sshd-stopped": Expect("server-shutdown", client_family="unknown"),
    "wrong-key": Expect("auth-failure", client_family="auth-failure"),
    "wrong-password": Expect("auth-failure", client_family="auth-failure"),
    "invalid-user": Expect("auth-failure", client_family="auth-failure"),
    "max-auth-tries": Expect("auth-failure", client_family="auth-failure"),
    # sshd only sees a client that gave up authenticating; the client knows why.
    "unprotected-key": Expect("auth-failure", client_family="client-config"),
    # sshd sees a connection closed after key exchange, before any auth attempt.
    "host-key-changed": Expect("preauth-probe", client_family="host-key"),
    "kex-mismatch": Expect("negotiation-failure", client_family="negotiation-failure"),
    "deny-users": Expect("access-policy", client_family="auth-failure"),
    "allow-users": Expect("access-policy", client_family="auth-failure"),
    "max-startups": Expect(
        "server-limit", "maxstartups", raw_family="preauth-probe", client_family="server-limit"
    ),
    # Debian 12's 9.2 logs nothing when LoginGraceTime expires (no client transcript:
    # the connection is a bare TCP socket).
    "login-grace-time": Expect(None, raw_family="unknown"),
    "nat-silent-drop": Expect(
        "keepalive-timeout", "client-alive", client_family="keepalive-timeout",
        needs_netns=True,
    ),
    "nat-reset": Expect("network-drop", "reset", client_family="network-drop", needs_netns=True),
}  # fmt: skip
