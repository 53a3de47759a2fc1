"""The triage result of one connection attempt, and the error for a paste with no ssh lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logsleuth.errors import ExitCode, LogsleuthError
from logsleuth.triage.diagnose import Finding
from logsleuth.triage.remedy import Advice


class NotSshOutput(LogsleuthError):
    """The paste holds no line that ssh, PuTTY or an ssh wrapper prints."""

    exit_code = ExitCode.NO_INPUT

    def __init__(self, hint: str | None = None) -> None:
        super().__init__("this does not look like ssh output", hint)


@dataclass(frozen=True)
class TriageResult:
    """What happened to one connection attempt, and what to do about it."""

    attempt: int
    """1-based position of the attempt in the paste (a jump leg comes before its target)."""
    stage: str
    """How far it got: resolve, connect, banner, kex, hostkey, auth, session or closed."""
    family: str
    cause: str
    summary: str
    explanation: str
    evidence: tuple[tuple[int, str], ...]
    """The decisive lines: (line number in the paste, text)."""
    remedy_text: str
    """The fix and the reasoning behind it."""
    remedy_snippet: str
    """Ready-to-paste text: a Host block, sshd_config lines, a command ("" if none)."""
    confirm: str
    """What to look for in the server's log to confirm the diagnosis."""
    target: str | None
    """The host the attempt was for, as the user named it."""
    server_view: str | None = None
    """What the server's log showed for this connection (when a server log was given)."""
    role: str = "target"
    """``target``, or ``jump`` for the jump-host leg of a ProxyJump."""
    user: str | None = None
    port: int | None = None
    client: str = "openssh"
    """``openssh`` or ``putty``."""
    client_version: str | None = None
    server_software: str | None = None
    pattern_id: str | None = None
    """The catalogue entry of the decisive line."""
    lines: tuple[int, int] = (0, 0)
    """First and last line number of the attempt in the paste."""
    duration_s: float | None = None
    """From the first to the last timestamped line, when the paste has timestamps."""
    silence_s: float | None = None
    """How long it was quiet before it failed, when timestamps say."""


def build_result(
    index: int,
    finding: Finding,
    advice: Advice,
    anon: Callable[[str], str] | None = None,
    server_view: str | None = None,
) -> TriageResult:
    """Assemble a result from a finding and its advice, anonymized if asked."""
    a = anon or (lambda s: s)
    f = finding.facts
    hits = finding.attempt.hits

    def opt(s: str | None) -> str | None:
        return a(s) if s is not None else None

    return TriageResult(
        attempt=index,
        stage=finding.stage,
        family=finding.family,
        cause=finding.cause,
        summary=a(advice.summary),
        explanation=a(advice.explanation),
        evidence=tuple((h.line.no, a(h.line.text)) for h in finding.evidence),
        remedy_text=a(advice.remedy_text),
        remedy_snippet=a(advice.snippet),
        confirm=a(advice.confirm),
        target=opt(f.host or f.ip),
        server_view=opt(server_view),
        role=finding.attempt.role,
        user=opt(f.user),
        port=f.port,
        client=f.client,
        client_version=f.version,
        server_software=opt(f.server_software),
        pattern_id=finding.decisive.pid if finding.decisive is not None else None,
        lines=(hits[0].line.no, hits[-1].line.no) if hits else (0, 0),
        duration_s=f.duration_s if f.duration_s is not None else f.session_seconds,
        silence_s=finding.silence_s,
    )


def verdict(results: Sequence[TriageResult]) -> TriageResult:
    """The attempt that matters in a paste: the failed one, else the last.

    With several failures the last counts (retries end where the user gave up), except
    that a target whose jump-host leg failed first is explained by that leg.
    """
    if not results:
        raise ValueError("no attempts")
    failed = [r for r in results if r.family != "clean-exit"]
    if not failed:
        return results[-1]
    chosen = failed[-1]
    i = list(results).index(chosen)
    if chosen.role != "jump" and i > 0:
        leg = results[i - 1]
        if leg.role == "jump" and leg.family not in ("clean-exit", "unknown"):
            return leg
    return chosen
