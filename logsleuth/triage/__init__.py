"""Triage a pasted ssh client transcript: the stage reached, the cause, and the fix.

Takes what a user sees when ssh fails (``ssh -v/-vv/-vvv`` stderr or an ``-E`` log file,
scp/sftp/rsync/git output, PuTTY/plink messages and Event Log), splits it into connection
attempts, and for each says how far it got, why it failed (the cause families of
DESIGN.md), which lines prove it, and what to paste where to fix it.

    from logsleuth.triage import triage_text, render_triage
    print(render_triage(triage_text(paste), "text"))
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from logsleuth.catalogue import Catalogue, load, split_envelope
from logsleuth.triage.anonymize import Anonymizer
from logsleuth.triage.diagnose import Finding, diagnose, link_jumps
from logsleuth.triage.knowledge import knowledge
from logsleuth.triage.parse import (
    SERVER_LINE_RE,
    Hit,
    classify,
    clean,
    count_server_lines,
    match_line,
)
from logsleuth.triage.remedy import Advice, advise
from logsleuth.triage.render import render_triage
from logsleuth.triage.result import NotSshOutput, TriageResult, build_result, verdict
from logsleuth.triage.split import split_attempts

__all__ = [
    "NotSshOutput",
    "TriageResult",
    "looks_like_transcript",
    "render_triage",
    "triage_text",
    "verdict",
]


def _catalogue() -> Catalogue:
    return load()


def looks_like_transcript(head: str) -> bool:
    """Whether the start of a file is an ssh client transcript rather than a server log."""
    lines = clean(head)
    if not lines:
        return False
    cat = _catalogue()
    # Lines sshd prints too (a bare `journalctl -o cat` dump) do not make a transcript.
    shared = knowledge().sets["shared_with_server"]
    client = 0
    server = count_server_lines(lines)
    for line in lines[:2000]:
        if SERVER_LINE_RE.search(line.text):
            continue
        if line.text.endswith(("[preauth]", "[postauth]")):
            server += 1
            continue
        hit = match_line(line.text, cat)
        if hit is not None and hit[0].id not in shared:
            client += 1
    return client > 0 and client >= server


def _hint(text: str, server_lines: int) -> str:
    if not text.strip():
        return "the paste is empty: paste what ssh printed, e.g. `ssh -vvv HOST 2>&1`"
    if server_lines:
        return (
            "these are sshd's own log lines: read them with `logsleuth scan FILE`, or "
            "pass them with --server-log next to the client's output"
        )
    return "paste what ssh printed when it failed, ideally `ssh -vvv HOST 2>&1`"


def _server_side(
    findings: list[Finding],
    advices: list[Advice],
    server_log: Sequence[str],
    anon: Anonymizer | None,
) -> list[str | None]:
    """What the server saw for each attempt; adopts its cause where the client's is vague."""
    from logsleuth.triage import join

    conns = join.load_connections(server_log)
    matches = join.match_connections(findings, conns)
    cat = _catalogue()
    views: list[str | None] = []
    for i, (fd, m) in enumerate(zip(findings, matches, strict=True)):
        if m is None:
            views.append("server log: no connection there matches this attempt")
            continue
        if anon is not None:
            anon.learn(e.text for e in m.connection.evidence)
            anon.add_user(m.connection.user)
        p = cat.get(m.connection.pattern_id) if m.connection.pattern_id else None
        said = p.summary if p is not None else None
        if join.adopt(fd, m) and said:
            a = advices[i]
            advices[i] = Advice(
                f"{a.summary}; the server's log says: {said}",
                a.explanation,
                a.remedy_text,
                a.snippet,
                a.confirm,
            )
        views.append(join.describe(m, said))
    return views


_SSHD_MESSAGE = re.compile(r"\bsshd(?:-session|-auth)?(?:\[\d+\])?: (?P<msg>.+)$")


def _adopt_pasted_server_lines(findings: list[Finding], hits: Sequence[Hit]) -> None:
    """sshd's own lines pasted next to the client's are evidence for a vague verdict.

    ``kex_exchange_identification: read: Connection reset by peer`` alone could be any of
    several server-side causes; the server's ``drop connection ... past MaxStartups`` or
    ``refused connect from`` in the same paste says which one it was.
    """
    rules = knowledge().server_evidence
    cat = _catalogue()
    said: list[Hit] = []
    for h in hits:
        m = _SSHD_MESSAGE.search(h.line.text)
        if m is None:
            continue
        found = cat.match(split_envelope(m.group("msg"))[1], "server")
        if found is not None and found[0].family in rules.families:
            said.append(Hit(h.line, found[0], found[1]))
    if not said:
        return
    for fd in findings:
        if fd.cause in rules.replaces:
            server = said[0]
            assert server.pattern is not None
            fd.family, fd.cause = server.pattern.family, server.pattern.cause
            fd.decisive = server
            fd.evidence = sorted([*fd.evidence, server], key=lambda x: x.line.no)


def triage_text(
    text: str, *, server_log: Sequence[str] = (), anonymize: bool = False
) -> list[TriageResult]:
    """Triage a pasted transcript: one result per connection attempt, in order.

    ``server_log``: the server's log files for the same time; each attempt is joined with
    the connection the server saw, and the result says what that was. ``anonymize``:
    replace IPs, host and user names, key fingerprints and home paths by pseudonyms in
    every field. Raises :class:`NotSshOutput` when no line is something ssh prints.
    """
    lines = clean(text)
    hits = classify(lines, _catalogue())
    if not any(h.pattern is not None for h in hits):
        raise NotSshOutput(_hint(text, count_server_lines(lines)))
    findings = [diagnose(a) for a in split_attempts(hits)]
    link_jumps(findings)
    _adopt_pasted_server_lines(findings, hits)
    anon: Anonymizer | None = None
    if anonymize:
        anon = Anonymizer()
        anon.learn(line.text for line in lines)
        anon.learn(line.command or "" for line in lines)
        for fd in findings:
            anon.add_user(fd.facts.user)
    advices = []
    for fd in findings:
        a = advise(fd)
        if fd.note:
            a = Advice(a.summary, f"{a.explanation} {fd.note}", a.remedy_text, a.snippet, a.confirm)
        advices.append(a)
    views: list[str | None] = [None] * len(findings)
    if server_log:
        views = _server_side(findings, advices, server_log, anon)
    return [
        build_result(i, fd, a, anon, view)
        for i, (fd, a, view) in enumerate(zip(findings, advices, views, strict=True), 1)
    ]
