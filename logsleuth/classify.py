"""Records -> events: pick the ssh lines and name each with its catalogue entry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from logsleuth.catalogue import Catalogue, split_envelope
from logsleuth.model import Event, Record

#: Programs whose lines are sshd's own (OpenSSH <= 9.7, >= 9.8, >= 10.0, old RHEL PAM).
SSH_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)"})


def is_ssh(record: Record) -> bool:
    """Whether a record is an sshd line (including the sshd service's PAM lines)."""
    return record.program in SSH_PROGRAMS


def classify_record(record: Record, catalogue: Catalogue) -> Event:
    """Classify one ssh record; an unmatched one becomes an event with no pattern."""
    level, body, phase = split_envelope(record.message)
    hit = catalogue.match(body, "server")
    if hit is None:
        return Event(record, None, None, None, None, 0, {}, level, phase)
    p, fields = hit
    return Event(
        record, p.id, p.family, p.cause, p.role, p.priority, fields, level, phase,
        p.postauth_family, p.postauth_cause,
    )


def classify(records: Iterable[Record], catalogue: Catalogue) -> Iterator[Event]:
    """Classify the ssh records of a stream; other programs' records are skipped."""
    for record in records:
        if record.program in SSH_PROGRAMS:
            yield classify_record(record, catalogue)
