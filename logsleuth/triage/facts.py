"""What an attempt's lines say about it: target, user, keys tried, timing, versions."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime

from logsleuth.triage.knowledge import knowledge
from logsleuth.triage.parse import Hit
from logsleuth.triage.placeholders import is_placeholder
from logsleuth.triage.split import Attempt
from logsleuth.triage.stages import furthest

# ssh options that take an argument (OpenSSH 10.x `ssh -h`).
_ARG_OPTS = set("BbcDEeFIiJLlmOoPpQRSWw")
_FP_RE = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
_W_RE = re.compile(r"-W '?\[?(?P<host>[^\]':\s]+)\]?:(?P<port>\S+?)'? (?P<jump>\S+)$")


@dataclass
class Facts:
    """Everything diagnosis and remedies need to know about one attempt."""

    host: str | None = None
    """The destination as the user named it (a Host alias or a name)."""
    ip: str | None = None
    port: int | None = None
    user: str | None = None
    jump: str | None = None
    """The jump host, when the attempt goes through ProxyJump / -J."""
    client: str = "openssh"
    """``openssh`` or ``putty``."""
    version: str | None = None
    server_software: str | None = None
    progress: str | None = None
    """The furthest stage the progress lines show."""
    authenticated: bool = False
    method: str | None = None
    offered: list[str] = field(default_factory=list)
    """Keys offered (``Offering public key: ...``), in order."""
    accepted: list[str] = field(default_factory=list)
    password_tried: bool = False
    allowed_methods: str | None = None
    fingerprints: set[str] = field(default_factory=set)
    keepalive_probes: int = 0
    start: datetime | None = None
    end: datetime | None = None
    session_seconds: float | None = None
    """From the client's ``Transferred: ... in N seconds`` line."""
    exit_status: int | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds between the first and the last timestamped line."""
        return _seconds(self.start, self.end)


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None or (a.tzinfo is None) != (b.tzinfo is None):
        return None
    return round((b - a).total_seconds(), 3)


def parse_destination(command: str) -> tuple[str | None, str | None, int | None, str | None]:
    """(user, host, port, jump) from an ssh/scp/git command line, as far as it says."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    user = host = jump = None
    port = None
    i = 0
    # Skip to the ssh-like program word.
    while i < len(words) and not re.search(
        r"(?:^|[/\\])(?:ssh|plink|autossh)(?:\.exe)?$", words[i]
    ):
        i += 1
    i += 1
    while i < len(words):
        w = words[i]
        if w.startswith("-") and len(w) > 1:
            opt = w[1:]
            # Flags may be grouped (-vvvt); the last one may take an argument.
            for j, c in enumerate(opt):
                if c in _ARG_OPTS:
                    arg = opt[j + 1 :] or (words[i + 1] if i + 1 < len(words) else "")
                    if not opt[j + 1 :]:
                        i += 1
                    if c == "l":
                        user = arg
                    elif c == "p":
                        port = _port(arg)
                    elif c == "J":
                        jump = arg
                    break
            i += 1
            continue
        dest = w
        if dest.startswith("ssh://"):
            dest = dest[6:]
            m = re.match(r"^(?:(?P<u>[^@]+)@)?(?P<h>\[[^\]]+\]|[^:/]+)(?::(?P<p>\d+))?", dest)
            if m:
                user = m.group("u") or user
                host = m.group("h").strip("[]")
                port = int(m.group("p")) if m.group("p") else port
            break
        if "@" in dest:
            user, dest = dest.rsplit("@", 1)
        host = dest.split(":", 1)[0] if dest.count(":") == 1 else dest
        break
    return user, host, port, jump


def _set(cur: str | None, value: str | None) -> str | None:
    # A redaction (`<host>`, `x.x.x.x`) says the value is not known.
    if cur or not value or is_placeholder(value):
        return cur
    return value


def _port(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 65536 else None


def extract(attempt: Attempt) -> Facts:
    """Collect the facts of one attempt from its lines."""
    f = Facts()
    stamps = [h.line.ts for h in attempt.hits if h.line.ts is not None]
    if stamps:
        f.start, f.end = stamps[0], stamps[-1]
    progress: list[str | None] = []
    for h in attempt.hits:
        if h.line.command:
            u, host, port, jump = parse_destination(h.line.command)
            f.user, f.host, f.jump = _set(f.user, u), _set(f.host, host), _set(f.jump, jump)
            f.port = f.port or port
        f.fingerprints.update(_FP_RE.findall(h.line.text))
        if h.pattern is None:
            continue
        _apply(f, h)
        if h.pattern.family == "session" and h.stage != "closed":
            progress.append(h.stage)
    f.progress = furthest(progress)
    return f


#: Values that never become facts: a proxy's pipe, a `Host *` block.
_NOT_VALUES = frozenset({"UNKNOWN", "*"})


def _value(h: Hit, names: tuple[str, ...]) -> str | None:
    for n in names:
        v = h.fields.get(n)
        if v and v not in _NOT_VALUES:
            return v
    return None


def _store(f: Facts, fact: str, value: str, replace: bool) -> None:
    if fact == "port":
        port = _port(value)
        if port is not None and (replace or f.port is None):
            f.port = port
        return
    current = getattr(f, fact)
    if replace and not is_placeholder(value):
        setattr(f, fact, value)
    else:
        setattr(f, fact, _set(current, value))


def _parse(f: Facts, how: str, value: str) -> None:
    if how == "destination":
        u, host, port, jump = parse_destination(value)
        f.user, f.host, f.jump = _set(f.user, u), _set(f.host, host), _set(f.jump, jump)
        f.port = f.port or port
    elif how == "proxy-w":
        m = _W_RE.search(value)
        if m and "%h" not in m.group("host"):
            f.host = _set(f.host, m.group("host"))
            f.jump = _set(f.jump, m.group("jump"))
    elif how == "name-and-address":
        name, _, rest = value.partition(" (")
        f.host = _set(f.host, name)
        f.ip = _set(f.ip, rest.rstrip(")") or None)


def _apply(f: Facts, h: Hit) -> None:
    """Apply the [[facts]] rules of patterns/triage_refine.toml to one line."""
    p = h.pattern
    assert p is not None
    for r in knowledge().facts:
        if not r.applies(p.id, p.family):
            continue
        if r.when and not all(h.fields.get(k) in v for k, v in r.when):
            continue
        for fact, names in r.fill:
            v = _value(h, names)
            if v is not None:
                _store(f, fact, v, replace=False)
        for fact, names in r.set:
            v = _value(h, names)
            if v is not None:
                _store(f, fact, v, replace=True)
        for fact, name in r.number:
            if h.fields.get(name):
                setattr(
                    f,
                    fact,
                    float(h.fields[name]) if fact == "session_seconds" else int(h.fields[name]),
                )
        if r.flag:
            setattr(f, r.flag, True)
        if r.count:
            setattr(f, r.count, getattr(f, r.count) + 1)
        if r.add and r.text in h.line.text and h.fields.get(r.field or "key"):
            getattr(f, r.add).append(h.fields[r.field or "key"])
        if r.parse and r.field and h.fields.get(r.field):
            _parse(f, r.parse, h.fields[r.field])
        if r.client:
            f.client = r.client


def silence_before(attempt: Attempt, target: Hit) -> float | None:
    """Seconds between the line before ``target`` (with a timestamp) and ``target``."""
    if target.line.ts is None:
        return None
    before = [
        h.line.ts for h in attempt.hits if h.line.no < target.line.no and h.line.ts is not None
    ]
    return _seconds(before[-1], target.line.ts) if before else None
