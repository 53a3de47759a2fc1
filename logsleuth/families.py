"""The cause families: the fixed vocabulary every report groups by (DESIGN.md)."""

from __future__ import annotations

FAMILIES: dict[str, str] = {
    "clean-exit": "the user or client ended the session normally",
    "keepalive-timeout": "SSH keepalive probes went unanswered: the peer or the path went silent",
    "network-drop": "the TCP connection died under an established session",
    "idle-policy": "the server ended an idle session on purpose",
    "server-limit": "a server limit refused or cut the connection",
    "auth-failure": "authentication failed",
    "access-policy": "policy refused a user who may have authenticated",
    "negotiation-failure": "no common algorithms, or a broken protocol banner",
    "preauth-probe": "a connection that closed before trying to authenticate",
    "host-key": "the client refused the server's host key",
    "client-config": "the client's own keys or files are unusable",
    "connect-failure": "TCP never connected",
    "proxy-failure": "a jump host or ProxyCommand failed",
    "server-shutdown": "sshd or the session process was stopped or killed",
    "protocol-error": "the byte stream was corrupted",
    "unknown": "the connection ended and nothing in the logs says why",
}

#: Lifecycle lines (Connection from, Accepted, session opened, ...) carry this family:
#: they are classified and counted as matched, but never decide how a connection ended.
SESSION = "session"

#: A connection still open at the end of the input.
OPEN = "open"

#: Families a catalogue entry may declare.
PATTERN_FAMILIES = frozenset(FAMILIES) | {SESSION}

#: Families that mean the connection ended abnormally (used for the "abnormal share").
#: ``unknown`` is not one of them: the log does not say why the connection ended (a
#: ``session closed`` without a disconnect line at LogLevel INFO is the common case), and
#: a figure that counts it as abnormal accuses sessions that may have ended normally.
ABNORMAL = frozenset(
    {
        "keepalive-timeout",
        "network-drop",
        "idle-policy",
        "server-limit",
        "server-shutdown",
        "protocol-error",
    }
)

#: The family of a connection whose end the log does not explain (counted apart).
UNEXPLAINED = "unknown"
