"""Decide how far one attempt got, which line decides its fate, and its family and cause.

The catalogue gives every line a family, cause and priority; the highest-priority error
line decides. Some lines mean different things depending on how far the connection got
(``Connection closed by IP port 22`` before the banner is a drop, in a session a
disconnect) or on what they carry (which algorithm had no match, which text the server
sent before its banner), and those are refined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logsleuth.triage.facts import Facts, extract, silence_before
from logsleuth.triage.parse import Hit
from logsleuth.triage.split import Attempt
from logsleuth.triage.stages import FAMILY_STAGE, rank

#: Client-file problems only matter when the login failed.
_CLIENT_WARNINGS = frozenset({"C380", "C381", "C384", "C385", "C386", "C387", "C353", "C521"})
_RESOLVE_ERRORS = (
    "Name or service not known",
    "Temporary failure",
    "No address",
    "nodename nor servname",
    "Name does not resolve",
)
#: Supporting lines worth showing next to the decisive one.
_CONTEXT_IDS = frozenset({"C305", "C501", "C309", "C503", "C316", "C505", "C323", "C320"})
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


def _error_kind(error: str) -> str:
    e = error.lower()
    if "broken pipe" in e:
        return "broken-pipe"
    if "reset" in e:
        return "reset"
    if "timed out" in e:
        return "tcp-timeout"
    if "no route" in e or "unreachable" in e:
        return "no-route"
    return ""


def _priority(h: Hit, attempt: Attempt, facts: Facts) -> int:
    """How decisive a line is in this attempt (0: not at all)."""
    p = h.pattern
    if p is None or p.family == "session":
        return 0
    if p.id in _CLIENT_WARNINGS and facts.authenticated:
        return 0
    if p.id == "C391" and not (attempt.role == "jump" or attempt.proxied):
        return 0  # a -L/-R forward that failed inside a working session
    return p.priority


def _refine(h: Hit, attempt: Attempt, f: Facts) -> tuple[str, str, str | None]:
    """(family, cause, stage) for the decisive line, given the rest of the attempt."""
    p = h.pattern
    assert p is not None
    fam, cause, stage = p.family, p.cause, p.stage
    fl, pid, prog = h.fields, p.id, f.progress
    pre_banner = rank(prog) <= rank("banner")
    if pid == "C323":
        text = fl.get("text", "")
        if "Not allowed at this time" in text:
            return "server-limit", "server-limit/penalty", "banner"
        if "MaxStartups" in text:
            return "server-limit", "server-limit/maxstartups", "banner"
        if text.startswith(("HTTP/", "<")):
            return "negotiation-failure", "negotiation-failure/not-ssh", "banner"
        return fam, cause, stage
    if pid in ("C340", "C341", "C344", "C345") and attempt.proxied and pre_banner:
        return "proxy-failure", "proxy-failure/proxy-exited", "connect"
    if pid in ("C344", "C512"):
        if prog is None and pid == "C512":
            return fam, cause, "session"
        if pre_banner:
            return "server-limit", "server-limit/banner-closed", "banner"
        if prog in ("kex", "hostkey"):
            return "negotiation-failure", "negotiation-failure/closed-during-kex", prog
        if prog == "auth":
            return "server-limit", "server-limit/closed-during-auth", "auth"
        return "unknown", "unknown/closed-by-remote", "session"
    if pid == "C345":
        if pre_banner:
            return "server-limit", "server-limit/banner-reset", "banner"
        return "network-drop", "network-drop/reset", prog
    if pid in ("C350", "C518"):
        what = fl.get("what", "").lower()
        kind = (
            "kex"
            if "key exchange" in what
            else "hostkey"
            if "host key" in what
            else "cipher"
            if "cipher" in what
            else "mac"
            if "mac" in what
            else "compression"
        )
        return fam, f"negotiation-failure/no-common-{kind}", "kex"
    if pid in ("C351", "C401", "C402", "C403"):
        kind = _error_kind(fl.get("error", ""))
        if kind:
            return "network-drop", f"network-drop/{kind}", stage or prog or "session"
        if pid == "C351":
            err = fl.get("error", "")
            sub = (
                "corrupted"
                if "authentication code" in err or "corrupt" in err
                else "incorrect-signature"
                if "signature" in err
                else "libcrypto"
                if "libcrypto" in err
                else "dispatch"
            )
            return fam, f"protocol-error/{sub}", prog or "session"
        return fam, cause, stage
    if pid in ("C373", "C514"):
        return _refine_disconnect(fl.get("text", ""), f)
    if pid in ("C370", "C372", "C371"):
        return _refine_auth(attempt, f)
    if pid == "C381":
        err = fl.get("error", "")
        sub = (
            "unprotected-key"
            if "permissions" in err
            else "wrong-passphrase"
            if "passphrase" in err
            else "invalid-key-format"
            if "invalid format" in err
            else "unreadable-key"
        )
        return fam, f"client-config/{sub}", stage
    if pid == "C385":
        err = fl.get("error", "")
        sub = "agent-unreachable" if "communication" in err else "agent-refused"
        return fam, f"client-config/{sub}", stage
    if pid == "C507":
        if rank(prog) >= rank("banner"):
            return "network-drop", "network-drop/tcp-timeout", prog
        return fam, cause, "connect"
    if pid == "C391":
        reason, err = fl.get("reason", ""), fl.get("error", "")
        if reason == "administratively prohibited":
            return fam, "proxy-failure/forwarding-prohibited", stage
        if any(e in err for e in _RESOLVE_ERRORS):
            return fam, "proxy-failure/jump-cannot-resolve", stage
        return fam, "proxy-failure/jump-cannot-connect", stage
    return fam, cause, stage


def _refine_disconnect(text: str, f: Facts) -> tuple[str, str, str | None]:
    t = text.lower()
    if "too many authentication failures" in t:
        many = len(f.offered) >= 3
        sub = "too-many-keys" if many else "max-auth-tries"
        return "auth-failure", f"auth-failure/{sub}", "auth"
    if "no supported authentication methods" in t:
        return "auth-failure", "auth-failure/no-supported-methods", "auth"
    if "auth fail" in t or "authentication failed" in t:
        return "auth-failure", "auth-failure/denied", "auth"
    if "shutting down" in t or "signal" in t:
        return "server-shutdown", "server-shutdown/stopped", f.progress or "session"
    if "corrupt" in t or "mac" in t.split():
        return "protocol-error", "protocol-error/corrupted", f.progress
    if "too many" in t and "connection" in t:
        return "server-limit", "server-limit/too-many-connections", f.progress
    return "unknown", "unknown/server-disconnect", f.progress


def _refine_auth(attempt: Attempt, f: Facts) -> tuple[str, str, str | None]:
    ids = {h.pid for h in attempt.hits}
    if not f.offered and "C353" in ids:
        return ("negotiation-failure", "negotiation-failure/no-mutual-signature-algorithm", "auth")
    if not f.offered and "C384" in ids:
        return "client-config", "client-config/missing-identity", "auth"
    if not f.offered and not f.password_tried and "C386" in ids:
        return "client-config", "client-config/agent-unreachable", "auth"
    if f.accepted:
        return "auth-failure", "auth-failure/key-unusable", "auth"
    if f.password_tried:
        return "auth-failure", "auth-failure/password-rejected", "auth"
    if f.offered:
        return "auth-failure", "auth-failure/publickey-rejected", "auth"
    if f.allowed_methods is not None and "password" not in f.allowed_methods.split(","):
        return "auth-failure", "auth-failure/no-key-offered", "auth"
    return "auth-failure", "auth-failure/denied", "auth"


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
        if h.pid in _CONTEXT_IDS or (h.pid == "C315" and "Offering" in h.line.text):
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
