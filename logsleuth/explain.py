"""Explain one log line: which catalogue entry matched it and what that means."""

from __future__ import annotations

from dataclasses import dataclass

from logsleuth.catalogue import Catalogue, Pattern, split_envelope
from logsleuth.classify import SSH_CLIENT_PROGRAMS
from logsleuth.readers.syslog_header import parse_line


@dataclass(frozen=True, slots=True)
class Explanation:
    """The outcome of explaining a line."""

    line: str
    message: str
    """The message the catalogue saw (header, level prefix and phase suffix removed)."""
    program: str | None
    pattern: Pattern | None
    fields: dict[str, str]
    level: str | None
    phase: str | None
    near: tuple[Pattern, ...] = ()
    """Entries that start like the line but did not match (when nothing matched)."""

    @property
    def reason(self) -> str:
        """Why nothing matched (empty when something did)."""
        if self.pattern is not None:
            return ""
        if self.near:
            return "no entry matches; these start the same way but differ further on: " + ", ".join(
                f"{p.id} {p.name}" for p in self.near
            )
        return "no entry of the catalogue starts like this message"


def explain_line(line: str, cat: Catalogue, side: str | None = None) -> Explanation:
    """Classify one line (with or without a syslog header) and say why."""
    line = line.rstrip("\r\n")
    header = parse_line(line, 2000)
    message = header.message if header else line
    program = header.program if header else None
    if side is None:
        side = "client" if program in SSH_CLIENT_PROGRAMS else "server"
    level, body, phase = split_envelope(message)
    hit = cat.match(body, side, level)
    if hit is None and program is None:
        other = "client" if side == "server" else "server"
        hit = cat.match(body, other, level)
    if hit is not None:
        return Explanation(line, body, program, hit[0], hit[1], level, phase)
    word = body.split(" ", 1)[0]
    near = tuple(p for p in cat if p.regex[1:].startswith(word) and word)[:5]
    return Explanation(line, body, program, None, {}, level, phase, near)
