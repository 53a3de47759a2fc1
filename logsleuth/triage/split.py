"""Split a classified paste into connection attempts.

One paste may hold several attempts: retries, a loop, several commands typed at a prompt,
or a ProxyJump, where the jump host's ssh writes to the same terminal as the outer ssh. A
new attempt starts at a typed ssh command, at an ``OpenSSH_`` version line (``-v``), at a
PuTTY "Looking up host" line, or, once an attempt has ended, at a line that can only
belong to a new one (the same final error again, or an earlier stage than where it ended).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from logsleuth.triage.knowledge import knowledge
from logsleuth.triage.parse import Hit
from logsleuth.triage.stages import rank


@dataclass
class Attempt:
    """The lines of one connection attempt."""

    hits: list[Hit] = field(default_factory=list)
    role: str = "target"
    """``target``, or ``jump`` for the jump-host leg of a ProxyJump/ProxyCommand."""

    @property
    def matched(self) -> list[Hit]:
        """The lines a catalogue entry recognised."""
        return [h for h in self.hits if h.pattern is not None]

    @property
    def has_content(self) -> bool:
        """Whether any recognised line belongs to it yet."""
        return any(h.pattern is not None for h in self.hits)

    @property
    def ends(self) -> list[Hit]:
        """Its final-error / end lines."""
        return [h for h in self.hits if h.pattern is not None and h.pattern.role == "end"]

    @property
    def proxied(self) -> bool:
        """Whether it goes through a ProxyCommand or ProxyJump."""
        if any(h.pid in knowledge().sets["proxy"] for h in self.hits):
            return True
        for h in self.hits:
            cmd = h.fields.get("command") if h.pid == "C302" else h.line.command
            if cmd and (" -J" in cmd or "ProxyJump" in cmd or "ProxyCommand" in cmd):
                return True
        return False

    @property
    def in_session(self) -> bool:
        """Whether it reached the session stage."""
        return any(
            h.stage == "session" and h.pattern is not None and h.pattern.family == "session"
            for h in self.hits
        )


def _starts_new(cur: Attempt, h: Hit) -> bool:
    """After ``cur`` ended, does line ``h`` belong to a new attempt?"""
    p = h.pattern
    if p is None:
        return False
    ends = cur.ends
    if not ends:
        return False
    if p.role == "start":
        return True
    if any(
        e.stage in ("resolve", "connect")
        and e.pattern is not None
        and e.pattern.family in ("connect-failure", "client-config")
        for e in ends
    ):
        # ssh exits right after these: anything final or staged after them is new.
        return p.role in ("end", "auth-fail") or p.stage is not None
    end_ranks = [rank(e.stage) for e in ends if e.stage]
    lowest = min(end_ranks) if end_ranks else -1
    if p.role == "end" and any(e.pid == p.id for e in ends):
        return True
    if p.role == "auth-fail" and any(e.stage == "auth" for e in ends):
        return True
    return p.role in ("end", "auth-fail", "info") and 0 <= rank(p.stage) < lowest


def split_attempts(hits: Sequence[Hit]) -> list[Attempt]:
    """Group classified lines into attempts, in the order they happened.

    A jump-host leg is listed before the target it leads to.
    """
    sets = knowledge().sets
    attempts: list[Attempt] = []
    cur = Attempt()
    attempts.append(cur)
    outer: Attempt | None = None

    def start(role: str = "target") -> Attempt:
        new = Attempt(role=role)
        attempts.append(new)
        return new

    for h in hits:
        if h.line.command is not None or h.line.boundary:
            if cur.has_content or (outer is not None and outer.has_content):
                cur, outer = start(), None
            cur.hits.append(h)
            continue
        if h.pid in sets["headers"]:
            own_header = any(x.pid in sets["headers"] for x in cur.hits)
            if outer is None and own_header and cur.proxied and not cur.in_session and not cur.ends:
                # The jump host's ssh starts inside the outer one: list it first.
                outer = cur
                cur = Attempt(role="jump")
                attempts.insert(attempts.index(outer), cur)
            elif cur.has_content or outer is not None:
                cur, outer = start(), None
            cur.hits.append(h)
            continue
        if outer is not None:
            jump_done = bool(cur.ends) or cur.in_session
            # The jump leg's own verdict (`user@jump: Permission denied`) follows its
            # `No more authentication methods` line: it is still the leg's.
            leg_auth = h.stage == "auth" and not cur.in_session
            if jump_done and h.pid not in sets["jump_late"] and not leg_auth:
                if outer.ends and _starts_new(outer, h):
                    cur, outer = start(), None
                    cur.hits.append(h)
                else:
                    outer.hits.append(h)
            else:
                cur.hits.append(h)
            continue
        if cur.ends and _starts_new(cur, h):
            cur = start()
        cur.hits.append(h)
    real = [a for a in attempts if a.has_content]
    # `ssh -V` prints a version line: with other attempts around, it is not one itself.
    versions = [a for a in real if {h.pid for h in a.matched} <= sets["version_only"]]
    return [a for a in real if a not in versions] if len(versions) < len(real) else real
