"""Decide how far one attempt got, which line decides its fate, and its family and cause.

The catalogue gives every line a family, cause and priority; the highest-priority error
line decides. Some lines mean different things depending on how far the connection got
(``Connection closed by IP port 22`` before the banner is a drop, in a session a
disconnect) or on what they carry (which algorithm had no match, which text the server
sent before its banner): the refinement rules of ``patterns/triage_refine.toml`` say
what, and this module only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logsleuth.triage.facts import Facts, extract, silence_before
from logsleuth.triage.knowledge import Rule, knowledge
from logsleuth.triage.parse import Hit
from logsleuth.triage.split import Attempt
from logsleuth.triage.stages import FAMILY_STAGE

_MAX_EVIDENCE = 10


@dataclass
class Finding:
    """The diagnosis of one attempt, before it is put into words."""

    attempt: Attempt
    facts: Facts
    stage: str
    family: str
    cause: str
    decisive: Hit | None
    evidence: list[Hit] = field(default_factory=list)
    silence_s: float | None = None
    """How long the connection was quiet before it failed, when timestamps say."""
    note: str = ""
    """A sentence added to the explanation (e.g. what the jump-host leg did)."""


def _priority(h: Hit, attempt: Attempt, facts: Facts) -> int:
    """How decisive a line is in this attempt (0: not at all)."""
    p = h.pattern
    if p is None or p.family == "session":
        return 0
    if p.id in knowledge().sets["client_warnings"] and facts.authenticated:
        return 0
    if p.id == "C391" and not (attempt.role == "jump" or attempt.proxied):
        return 0  # a -L/-R forward that failed inside a working session
    return p.priority


def _text_holds(r: Rule, h: Hit) -> bool:
    value = h.fields.get(r.field or "", "")
    low = value.lower()
    return (
        any(c in low for c in r.contains)
        or any(value.startswith(p) for p in r.prefix)
        or any(w in low.split() for w in r.word)
        or value in r.equals
    )


def _holds(r: Rule, h: Hit, attempt: Attempt, f: Facts, ids: set[str]) -> bool:
    """Whether every condition of a rule holds for this decisive line and attempt."""
    checks = (
        r.field is None or _text_holds(r, h),
        r.progress is None or (f.progress or "none") in r.progress,
        r.proxied is None or attempt.proxied == r.proxied,
        not r.has or bool(r.has & ids),
        not (r.lacks & ids),
        r.offered is None or bool(f.offered) == r.offered,
        r.accepted is None or bool(f.accepted) == r.accepted,
        r.password_tried is None or f.password_tried == r.password_tried,
        len(f.offered) >= r.min_offered,
        r.allowed_lacks is None
        or (f.allowed_methods is not None and r.allowed_lacks not in f.allowed_methods.split(",")),
    )
    return all(checks)


def _refine(h: Hit, attempt: Attempt, f: Facts) -> tuple[str, str, str | None]:
    """(family, cause, stage) for the decisive line: the first rule that holds, else the
    entry's own. A stage of None means "as far as the progress lines show"."""
    p = h.pattern
    assert p is not None
    ids = {x.pid for x in attempt.hits if x.pid is not None}
    for r in knowledge().rules_for(p.id):
        if not _holds(r, h, attempt, f, ids):
            continue
        cause = r.cause or p.cause
        stage = p.stage if r.stage is None else r.stage
        if stage == "progress":
            stage = p.stage or f.progress
        return cause.split("/", 1)[0], cause, stage
    return p.family, p.cause, p.stage


def _no_error(attempt: Attempt, f: Facts) -> tuple[str, str, str]:
    if attempt.role == "jump" and f.authenticated:
        return "clean-exit", "clean-exit/jump-ok", "session"
    if f.exit_status is not None and f.exit_status >= 0:
        return "clean-exit", "clean-exit/closed", "closed"
    return "unknown", "unknown/no-error-line", f.progress or "connect"


def _evidence(attempt: Attempt, decisive: Hit | None, f: Facts) -> list[Hit]:
    chosen: dict[int, Hit] = {}
    if decisive is not None:
        chosen[decisive.line.no] = decisive
    errors = [h for h in attempt.matched if h.pattern is not None and h.pattern.family != "session"]
    for h in errors[:6]:
        chosen.setdefault(h.line.no, h)
    for h in attempt.matched:
        if h.pid in knowledge().sets["context"] or (h.pid == "C315" and "Offering" in h.line.text):
            if len(chosen) >= _MAX_EVIDENCE:
                break
            chosen.setdefault(h.line.no, h)
    if decisive is not None and decisive.stage == "session" and decisive.line.ts is not None:
        before = [h for h in attempt.hits if h.line.no < decisive.line.no]
        if before:
            chosen.setdefault(before[-1].line.no, before[-1])
    return [chosen[k] for k in sorted(chosen)][: _MAX_EVIDENCE + 2]


def diagnose(attempt: Attempt) -> Finding:
    """The stage, family, cause and evidence of one attempt."""
    f = extract(attempt)
    scored = [(_priority(h, attempt, f), -i, h) for i, h in enumerate(attempt.hits)]
    scored = [s for s in scored if s[0] > 0]
    decisive = max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None
    if decisive is None or decisive.pattern is None:
        fam, cause, stage = _no_error(attempt, f)
        return Finding(attempt, f, stage, fam, cause, None, _evidence(attempt, None, f))
    fam, cause, stage_or_none = _refine(decisive, attempt, f)
    stage = stage_or_none or f.progress or FAMILY_STAGE.get(fam, "connect")
    if fam == "clean-exit" and cause == "clean-exit/closed":
        stage = "closed"
    silence = silence_before(attempt, decisive)
    first_end = next((h for h in attempt.ends if h.stage == "session"), None)
    if first_end is not None and first_end is not decisive:
        other = silence_before(attempt, first_end)
        if other is not None and (silence is None or other > silence):
            silence = other
    return Finding(
        attempt, f, stage, fam, cause, decisive, _evidence(attempt, decisive, f), silence
    )


def link_jumps(findings: list[Finding]) -> None:
    """Tell a failed target attempt what its jump-host leg (listed just before it) did."""
    for prev, fd in zip(findings, findings[1:], strict=False):
        if prev.attempt.role != "jump" or fd.attempt.role == "jump":
            continue
        if prev.family not in ("clean-exit", "unknown"):
            fd.note = (
                f"The jump-host leg (attempt before this one) failed first: "
                f"{prev.family} ({prev.cause}); fix that and this attempt follows."
            )
            if fd.family == "proxy-failure" and fd.cause == "proxy-failure/proxy-exited":
                fd.stage = "connect"
