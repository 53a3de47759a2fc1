"""Clean a pasted client transcript into numbered lines and classify them.

A paste comes with terminal junk: CRLF and carriage-return overprints, ANSI colour codes,
shell prompts, ``ts``/PuTTY-Event-Log timestamps, plink's ``FATAL ERROR:`` prefix and
PuTTY's three-line disconnect dialog. :func:`clean` removes all of it but keeps the
original line numbers, and :func:`classify` names each line with its client catalogue entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from logsleuth.catalogue import Catalogue, Pattern, split_envelope
from logsleuth.triage.placeholders import PLACEHOLDER_RE, restore, stand_in
from logsleuth.triage.unwrap import unwrap

_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Timestamp prefixes: `ts` (default and %.s), ISO-ish (`ts '%F %T'`, PuTTY's copied Event
# Log), and a bare clock (`ts -s`, `ts %T`). Optional brackets around any of them.
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_TS_RES = (
    re.compile(
        rf"^\[?(?P<mon>{_MONTHS}) +(?P<day>\d{{1,2}}) (?P<clock>\d{{2}}:\d{{2}}:\d{{2}})"
        r"(?P<frac>[.,]\d+)?\]?[ \t]+"
    ),
    re.compile(
        r"^\[?(?P<date>\d{4}[-.]\d{2}[-.]\d{2})[T ](?P<clock>\d{2}:\d{2}:\d{2})(?P<frac>[.,]\d+)?"
        r"(?P<tz>Z|[+-]\d{2}:?\d{2})?\]?[ \t]+"
    ),
    re.compile(r"^\[?(?P<clock>\d{2}:\d{2}:\d{2})(?P<frac>[.,]\d+)?\]?[ \t]+"),
)
# Prefixes that wrap a client line: plink/PuTTY, the PuTTY session log, client syslog (-y).
_PREFIX_RES = (
    re.compile(r"^(?:FATAL ERROR|PuTTY Fatal Error|Fatal Error): "),
    re.compile(r"^Event Log: "),
    re.compile(r"^[\w.-]+ (?:ssh|scp|sftp|autossh)\[\d+\]: "),
    re.compile(r"^(?:ssh|scp|sftp)\[\d+\]: "),
)
_PUTTY_LOG_HEADER = re.compile(r"^=~=~=.*PuTTY log .*=~=~=")
_PROMPT_RES = (
    re.compile(r"^(?:\([\w.-]+\) )?[\w.-]+@[\w.-]+(?::[^\s$#%]*)?\s?[$#%] ?(?P<cmd>.*)$"),
    re.compile(r"^\[[\w.-]+@[\w.-]+ [^\]]*\][$#] ?(?P<cmd>.*)$"),
    re.compile(r"^[\w.-]+@[\w.-]+ [^%#$]*[%#$] (?P<cmd>.*)$"),
    re.compile(r"^PS [A-Za-z]:\\[^>]*> ?(?P<cmd>.*)$"),
    re.compile(r"^[A-Za-z]:\\[^>]*> ?(?P<cmd>.*)$"),
    re.compile(r"^(?:\S+ )?(?:[$#%]|❯|➜ +\S+) (?P<cmd>.*)$"),
    # `set -x` echoes each command with a leading `+`.
    re.compile(r"^\+ (?P<cmd>.*)$"),
)
#: Commands that start a new ssh connection when typed at a prompt.
SSH_COMMANDS = frozenset(
    {
        "ssh",
        "scp",
        "sftp",
        "rsync",
        "git",
        "plink",
        "pscp",
        "psftp",
        "autossh",
        "sshpass",
        "ssh.exe",
        "plink.exe",
        "mosh",
    }
)
_WRAPPER_WORDS = frozenset({"sudo", "env", "time", "command", "exec", "nohup", "-E"})
_PUTTY_DISCONNECT = re.compile(r"^(?:Remote side|Server) sent disconnect message$")
_PUTTY_TYPE = re.compile(r"^type \d+ \([^)]*\):$")
#: sshd's own lines (a server log pasted by mistake).
SERVER_LINE_RE = re.compile(r"\bsshd(?:-session|-auth)?\[\d+\]: |\bsshd(?:-session)?: ")


@dataclass(frozen=True, slots=True)
class Line:
    """One cleaned line of the paste."""

    no: int
    """1-based line number in the paste as given."""
    text: str
    """The line without junk, timestamp, prompt or wrapper prefix."""
    ts: datetime | None = None
    """The line's timestamp prefix, when it had one (naive unless the prefix had a zone)."""
    command: str | None = None
    """The command typed at a shell prompt, when the line is a prompt."""
    boundary: bool = False
    """True for lines that always start a new connection (a PuTTY log header)."""
    after_prompt: str | None = None
    """What follows a shell prompt on this line (ssh prints errors right after a prompt)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A cleaned line and the client catalogue entry it matched (if any)."""

    line: Line
    pattern: Pattern | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def stage(self) -> str | None:
        """The stage the matched entry proves, if it names one."""
        return self.pattern.stage if self.pattern is not None else None

    @property
    def pid(self) -> str | None:
        """The id of the matched entry."""
        return self.pattern.id if self.pattern is not None else None


def _parse_ts(m: re.Match[str]) -> datetime | None:
    g = m.groupdict()
    frac = (g.get("frac") or "").replace(",", ".")
    try:
        if g.get("mon"):
            # No year in `ts` output: 2000 is a leap year, so Feb 29 parses too.
            return datetime.strptime(
                f"2000 {g['mon']} {g['day']} {g['clock']}{frac}",
                "%Y %b %d %H:%M:%S" + ("%f" if frac else ""),
            )
        if g.get("date"):
            iso = f"{g['date'].replace('.', '-')}T{g['clock']}{frac[:7]}{g.get('tz') or ''}"
            return datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return datetime.strptime(
            f"2000-01-01 {g['clock']}{frac[:7]}", "%Y-%m-%d %H:%M:%S" + (".%f" if frac else "")
        )
    except ValueError:
        return None


def _strip_junk(raw: str) -> str:
    # A carriage return inside a line overprints it: keep what was printed last.
    if "\r" in raw:
        parts = [p for p in raw.split("\r") if p.strip()]
        raw = parts[-1] if parts else ""
    raw = _ANSI_RE.sub("", raw)
    return _CTRL_RE.sub("", raw).strip()


def _command_word(cmd: str) -> str:
    for word in cmd.split():
        if word in _WRAPPER_WORDS or "=" in word.split("/")[0]:
            continue
        return word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    return ""


def is_ssh_command(cmd: str | None) -> bool:
    """Whether a command typed at a prompt opens an ssh connection."""
    return bool(cmd) and _command_word(cmd or "") in SSH_COMMANDS


def clean(text: str) -> list[Line]:
    """Split a paste into cleaned lines, keeping each line's original number."""
    out: list[Line] = []
    for no, raw in unwrap(text):
        body = _strip_junk(raw)
        if not body:
            continue
        if _PUTTY_LOG_HEADER.match(body):
            out.append(Line(no, body, None, None, True))
            continue
        ts = None
        for rx in _TS_RES:
            m = rx.match(body)
            if m:
                ts = _parse_ts(m)
                body = body[m.end() :].strip()
                break
        for rx in _PREFIX_RES:
            body = rx.sub("", body, count=1)
        command = rest = None
        if not body.startswith(("debug", "@")):
            for rx in _PROMPT_RES:
                pm = rx.match(body)
                if pm is None:
                    continue
                if is_ssh_command(pm.group("cmd")):
                    command = pm.group("cmd").strip()
                else:
                    rest = pm.group("cmd").strip() or None
                break
        if body:
            out.append(Line(no, body, ts, command, after_prompt=rest))
    return _join_putty_disconnect(out)


def _join_putty_disconnect(lines: list[Line]) -> list[Line]:
    """PuTTY shows a disconnect as three lines; join them into one line to match."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        cur = lines[i]
        if (
            _PUTTY_DISCONNECT.match(cur.text)
            and i + 2 < len(lines)
            and _PUTTY_TYPE.match(lines[i + 1].text)
            and lines[i + 2].text.startswith('"')
        ):
            text = f"{cur.text} {lines[i + 1].text} {lines[i + 2].text}"
            out.append(Line(cur.no, text, cur.ts, None))
            i += 3
            continue
        out.append(cur)
        i += 1
    return out


def match_line(text: str, cat: Catalogue) -> tuple[Pattern, dict[str, str]] | None:
    """The client catalogue entry of one cleaned line (after its level prefix)."""
    _, body, _ = split_envelope(text)
    hit = cat.match(body, "client")
    if hit is None and PLACEHOLDER_RE.search(body):
        masked, back = stand_in(body)
        hit = cat.match(masked, "client")
        if hit is not None:
            return hit[0], {k: restore(v, back) for k, v in hit[1].items()}
    return hit


def classify(lines: Iterable[Line], cat: Catalogue) -> list[Hit]:
    """Name every cleaned line with its client catalogue entry (None when unknown)."""
    hits: list[Hit] = []
    for line in lines:
        hit = None if line.command is not None else match_line(line.text, cat)
        if hit is None and line.after_prompt:
            hit = match_line(line.after_prompt, cat)
        if hit is None:
            hits.append(Hit(line))
        else:
            hits.append(Hit(line, hit[0], hit[1]))
    return hits


def count_server_lines(lines: Sequence[Line]) -> int:
    """How many lines look like sshd's own log lines (a server log, not a transcript)."""
    return sum(1 for line in lines if SERVER_LINE_RE.search(line.text))
