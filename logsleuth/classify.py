"""Records -> events: pick the ssh lines and name each with its catalogue entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from logsleuth.catalogue import Catalogue, split_envelope
from logsleuth.limits import MAX_MESSAGE, bad_fields
from logsleuth.model import BOOT_PROGRAM, Event, PatternId, Record

#: Programs whose lines are sshd's own (OpenSSH <= 9.7, >= 9.8, >= 10.0, old RHEL PAM).
SSH_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)"})
#: The OpenSSH client logging to syslog (``ssh -y``, e.g. from cron jobs or autossh).
SSH_CLIENT_PROGRAMS = frozenset({"ssh"})


#: Programs whose lines say the whole host went down (logind's reboot and power-off
#: lines, the readers' boot markers): not ssh lines, but the sessionizer needs them.
HOST_PROGRAMS = frozenset({"systemd-logind", BOOT_PROGRAM})


def is_ssh(record: Record) -> bool:
    """Whether a record is an sshd line (including the sshd service's PAM lines)."""
    return record.program in SSH_PROGRAMS


def classify_record(
    record: Record, catalogue: Catalogue, side: str = "server", plain: bool = False
) -> Event:
    """Classify one ssh record; an unmatched one becomes an event with no pattern.

    ``plain``: try every catalogue entry in order (:meth:`Catalogue.match_plain`), the
    reference the dispatcher is tested against; the same event either way.
    """
    if len(record.message) > MAX_MESSAGE:
        # Longer than any line sshd writes: not sshd's, and regexes stay linear-time.
        return Event(record, None, None, None, None, 0, {})
    level, body, phase = split_envelope(record.message)
    match = catalogue.match_plain if plain else catalogue.match
    hit = match(body, side, level)
    if hit is None:
        return Event(record, None, None, None, None, 0, {}, level, phase)
    p, fields = hit
    bad = bad_fields(fields)
    if bad:  # e.g. a port of 2^31 or of 5,000 digits: left out, and noted
        fields = {k: v for k, v in fields.items() if k not in bad}
        record = replace(record, flaws=record.flaws + tuple(bad))
    return Event(
        record,
        p.id,
        p.family,
        p.cause,
        p.role,
        p.priority,
        fields,
        level,
        phase,
        p.postauth_family,
        p.postauth_cause,
    )


MEMO = 8192
"""Messages per side whose classification a :class:`Classifier` remembers (forgotten
when full)."""
MEMO_MESSAGE = 1024
"""Longer messages are classified every time (they are rare, and bound the memo's size)."""


class Classifier:
    """:func:`classify_record` for a stream of records, remembering recent messages.

    A message gets the same classification whatever its record, and about two in five
    ssh lines repeat an earlier message word for word (an attacker's PAM lines, the same
    probe from the same address): a repeat costs a lookup instead of the catalogue's
    regexes. ``plain`` (the reference path) remembers nothing.
    """

    def __init__(self, catalogue: Catalogue, plain: bool = False) -> None:
        """Classify with ``catalogue``; ``plain`` as for :func:`classify_record`."""
        self.catalogue, self.plain = catalogue, plain
        self._memo: dict[str, dict[str, tuple[tuple[str, ...], _EventArgs]]] = {}

    def classify(self, record: Record, side: str = "server") -> Event:
        """The event of one ssh record (the same as :func:`classify_record`'s)."""
        message = record.message
        memo = self._memo.get(side)
        if memo is None:
            memo = self._memo[side] = {}
        known = memo.get(message)
        if known is not None:
            bad, args = known
            if bad:
                record = replace(record, flaws=record.flaws + bad)
            return Event(record, *args)
        ev = classify_record(record, self.catalogue, side, self.plain)
        if not self.plain and len(message) <= MEMO_MESSAGE:
            if len(memo) >= MEMO:
                memo.clear()
            bad = ev.record.flaws[len(record.flaws) :] if ev.record is not record else ()
            memo[message] = (
                bad,
                (
                    ev.pattern_id,
                    ev.family,
                    ev.cause,
                    ev.role,
                    ev.priority,
                    ev.fields,
                    ev.level,
                    ev.phase,
                    ev.postauth_family,
                    ev.postauth_cause,
                ),
            )
        return ev


_EventArgs = tuple[
    PatternId | None,
    str | None,
    str | None,
    str | None,
    int,
    Mapping[str, str],
    str | None,
    str | None,
    str | None,
    str | None,
]
"""An :class:`Event`'s fields after its record."""


_SHAPE_SUBS = (
    (re.compile(r"\[[0-9A-Fa-f:.]+\]:\d+"), "[IP]:N"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "IP"),
    (re.compile(r"\b(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\b"), "IP"),
    (re.compile(r"SHA256:[A-Za-z0-9+/=]+|\b[0-9a-f]{2}(?::[0-9a-f]{2}){15}\b"), "FP"),
    (re.compile(r"\b(for|user) \S+ from\b"), r"\1 USER from"),
    (re.compile(r"\d+"), "N"),
)


def shape_of(message: str) -> str:
    """A message with addresses, numbers and user names blanked, to group unmatched lines."""
    for rx, repl in _SHAPE_SUBS:
        message = rx.sub(repl, message)
    return message[:200]


def classify_host_record(record: Record, catalogue: Catalogue, plain: bool = False) -> Event | None:
    """A host-lifecycle event (reboot, power-off, boot marker), or None for other lines.

    A boot marker is one whatever its text; a logind line only when a catalogue entry of
    role ``host`` matches it. ``plain``: as for :func:`classify_record`.
    """
    _, body, _ = split_envelope(record.message)
    hit = catalogue.match_plain(body, "server") if plain else catalogue.match(body, "server")
    if hit is not None and hit[0].role == "host":
        p, fields = hit
        return Event(record, p.id, p.family, p.cause, p.role, p.priority, fields)
    if record.program == BOOT_PROGRAM:
        return Event(record, None, "server-shutdown", "server-shutdown/reboot", "host", 0, {})
    return None
