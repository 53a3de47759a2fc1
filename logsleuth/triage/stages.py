"""The stages of an ssh connection, in order, and how far a set of lines got."""

from __future__ import annotations

from collections.abc import Iterable

#: The stages a client connection goes through, in order.
STAGES: tuple[str, ...] = (
    "resolve",
    "connect",
    "banner",
    "kex",
    "hostkey",
    "auth",
    "session",
    "closed",
)
_RANK = {s: i for i, s in enumerate(STAGES)}

#: What each stage means, for the explanations.
STAGE_TEXT: dict[str, str] = {
    "resolve": "reading the config and resolving the host name",
    "connect": "opening the TCP connection",
    "banner": "waiting for the server's SSH banner",
    "kex": "negotiating algorithms (key exchange)",
    "hostkey": "verifying the server's host key",
    "auth": "authenticating",
    "session": "in the session (logged in)",
    "closed": "closed normally",
}

#: The stage to report for a family when no line shows how far the connection got.
FAMILY_STAGE: dict[str, str] = {
    "connect-failure": "connect",
    "server-limit": "banner",
    "negotiation-failure": "kex",
    "host-key": "hostkey",
    "auth-failure": "auth",
    "client-config": "auth",
    "access-policy": "session",
    "proxy-failure": "connect",
    "network-drop": "session",
    "keepalive-timeout": "session",
    "protocol-error": "session",
    "clean-exit": "closed",
    "unknown": "connect",
}


def rank(stage: str | None) -> int:
    """Position of a stage in :data:`STAGES` (-1 for None or an unknown name)."""
    return _RANK.get(stage or "", -1)


def furthest(stages: Iterable[str | None]) -> str | None:
    """The furthest stage among some (None when there is none)."""
    best: str | None = None
    for s in stages:
        if rank(s) > rank(best):
            best = s
    return best
