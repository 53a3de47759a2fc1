"""Put a finding into words: summary, explanation, the fix as ready-to-paste text, and what
to look for in the server's log to confirm it.

Each cause has an adviser that gets a :class:`Ctx` (the facts, with defaults filled in)
and returns an :class:`Advice`. Unknown causes fall back to the catalogue entry's text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logsleuth.triage.diagnose import Finding
from logsleuth.triage.stages import STAGE_TEXT


@dataclass(frozen=True)
class Advice:
    """The words of a finding."""

    summary: str
    explanation: str
    remedy_text: str
    snippet: str
    confirm: str


@dataclass(frozen=True)
class Ctx:
    """What an adviser may use: the facts of the attempt with defaults filled in."""

    finding: Finding
    host: str
    port: int
    user: str
    ip: str
    fields: dict[str, str]

    @property
    def dest(self) -> str:
        """``[host]:port`` as known_hosts writes a non-22 port, else the host."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"

    @property
    def who(self) -> str:
        """``user from ip`` for the server-log hints."""
        return f"{self.user} from {self.client_ip}"

    @property
    def client_ip(self) -> str:
        """Placeholder for the client's address, which a client transcript never shows."""
        return "YOUR-IP"

    def block(self, *lines: str, host: str | None = None) -> str:
        """A ~/.ssh/config Host block for the target."""
        body = "\n".join(f"    {line}" for line in lines)
        return f"# ~/.ssh/config\nHost {host or self.host}\n{body}"


Adviser = Callable[[Ctx], Advice]
ADVISERS: dict[str, Adviser] = {}


def advises(*causes: str) -> Callable[[Adviser], Adviser]:
    """Register an adviser for some causes."""

    def deco(fn: Adviser) -> Adviser:
        for c in causes:
            ADVISERS[c] = fn
        return fn

    return deco


def keepalive_interval(silence: float | None) -> int:
    """A ServerAliveInterval below half the observed silence (60 when none was seen)."""
    if silence is None:
        return 60
    for value in (60, 30, 15, 10, 5):
        if value < silence / 2:
            return value
    return 5


def make_ctx(finding: Finding) -> Ctx:
    """Fill in the context of an adviser from a finding."""
    f = finding.facts
    fields = dict(finding.decisive.fields) if finding.decisive is not None else {}
    return Ctx(
        finding,
        f.host or f.ip or "HOST",
        f.port or 22,
        f.user or "USER",
        f.ip or f.host or "SERVER",
        fields,
    )


def advise(finding: Finding) -> Advice:
    """The advice for one finding."""
    ctx = make_ctx(finding)
    adv = ADVISERS.get(finding.cause, _generic)(ctx)
    if finding.facts.host is None and finding.facts.ip is None:
        # No name for the server in the paste: say so in prose, keep HOST in snippets.
        adv = Advice(
            adv.summary.replace("HOST", "the server"),
            adv.explanation.replace("HOST", "the server"),
            adv.remedy_text,
            adv.snippet,
            adv.confirm,
        )
    return adv


def _generic(ctx: Ctx) -> Advice:
    fd = ctx.finding
    p = fd.decisive.pattern if fd.decisive is not None else None
    stage = STAGE_TEXT.get(fd.stage, fd.stage)
    if p is None:
        return Advice(
            f"no error line: the transcript stops while {stage}",
            "Nothing in the paste says why the connection ended (or that it did).",
            "Capture the whole client output with ssh's own debugging and triage that.",
            f"ssh -vvv {ctx.host} 2>&1 | tee ssh-debug.txt",
            "Look at the server's log at the time of the attempt for a line with your "
            "address: `Connection from`, `Accepted`, `Failed`, `Disconnected`.",
        )
    return Advice(
        p.summary,
        p.explanation,
        p.remedy,
        f"ssh -vvv {ctx.host} 2>&1 | tee ssh-debug.txt",
        "Look at the server's log at the time of the attempt for lines with your address.",
    )


# Importing the adviser modules registers their advisers.
from logsleuth.triage import advice_auth, advice_kex, advice_net  # noqa: E402,F401
