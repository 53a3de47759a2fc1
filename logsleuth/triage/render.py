"""Render triage results as text (a terminal), JSON (``logsleuth.triage/1``) or Markdown
(for pasting into a ticket)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from logsleuth.errors import LogsleuthError
from logsleuth.renderers.markdown import fence, inline
from logsleuth.renderers.safe import json_escape, visible_lines
from logsleuth.triage.result import TriageResult, verdict
from logsleuth.triage.stages import STAGE_TEXT

SCHEMA = "logsleuth.triage/1"

FORMATS = ("text", "json", "markdown")


def to_dict(r: TriageResult) -> dict[str, Any]:
    """One attempt as a JSON-ready dict."""
    return {
        "attempt": r.attempt,
        "role": r.role,
        "target": r.target,
        "user": r.user,
        "port": r.port,
        "client": r.client,
        "client_version": r.client_version,
        "server_software": r.server_software,
        "stage": r.stage,
        "family": r.family,
        "cause": r.cause,
        "pattern_id": r.pattern_id,
        "summary": r.summary,
        "explanation": r.explanation,
        "evidence": [{"line": no, "text": text} for no, text in r.evidence],
        "remedy": {"text": r.remedy_text, "snippet": r.remedy_snippet},
        "confirm": r.confirm,
        "server_view": r.server_view,
        "lines": {"first": r.lines[0], "last": r.lines[1]},
        "duration_s": r.duration_s,
        "silence_s": r.silence_s,
    }


_TOP_KEYS = (
    "stage",
    "family",
    "cause",
    "summary",
    "evidence",
    "remedy",
    "confirm",
    "target",
    "server_view",
)


def render_json(results: Sequence[TriageResult]) -> str:
    """``{"schema": ..., <the verdict's keys>, "attempts": [...]}``.

    The top-level keys are always those of the attempt that matters (:func:`verdict`);
    ``verdict_attempt`` says which one it is.
    """
    attempts = [to_dict(r) for r in results]
    top = attempts[verdict(results).attempt - 1]
    doc: dict[str, Any] = {"schema": SCHEMA}
    for key in _TOP_KEYS:
        doc[key] = top[key]
    doc["verdict_attempt"] = top["attempt"]
    doc["attempts"] = attempts
    return json_escape(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def _title(r: TriageResult, total: int) -> str:
    role = " (jump host)" if r.role == "jump" else ""
    target = f" to {r.target}" if r.target else ""
    head = f"Attempt {r.attempt} of {total}" if total > 1 else "Connection"
    return f"{head}{target}{role}"


def render_text(results: Sequence[TriageResult]) -> str:
    """A plain-text report for a terminal."""
    out: list[str] = []
    for r in results:
        out.append(_title(r, len(results)))
        out.append(f"  stage:   {r.stage} ({STAGE_TEXT.get(r.stage, r.stage)})")
        out.append(f"  cause:   {r.family} / {r.cause}")
        out.append(f"  summary: {r.summary}")
        out.append("")
        out.append("  Why:")
        out.append(f"    {r.explanation}")
        if r.evidence:
            out.append("")
            out.append("  Evidence (line: text):")
            out.extend(f"    {no:>5}: {text}" for no, text in r.evidence)
        out.append("")
        out.append("  Fix:")
        out.append(f"    {r.remedy_text}")
        if r.remedy_snippet:
            out.append("")
            out.extend(f"      {line}" for line in r.remedy_snippet.splitlines())
        out.append("")
        out.append("  Confirm in the server's log:")
        out.append(f"    {r.confirm}")
        if r.server_view:
            out.append("")
            out.append("  What the server saw:")
            out.extend(f"    {line}" for line in r.server_view.splitlines())
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_markdown(results: Sequence[TriageResult]) -> str:
    """Markdown for a ticket: a table per attempt, evidence and fix in code blocks.

    Text from the paste is escaped in prose and fenced with a fence longer than any
    backtick run in it, so a paste cannot add markup, links or HTML.
    """
    out = ["# SSH connection triage", ""]
    for r in results:
        out.append(f"## {inline(_title(r, len(results)))}")
        out.append("")
        out.append("| stage | family | cause |")
        out.append("|---|---|---|")
        out.append(f"| `{r.stage}` | `{r.family}` | `{r.cause}` |")
        out.append("")
        out.append(f"**{inline(r.summary)}**")
        out.append("")
        out.append(inline(r.explanation))
        out.append("")
        if r.evidence:
            out.append("Evidence:")
            out.append("")
            out.append(fence("\n".join(f"{no:>5}: {t}" for no, t in r.evidence), "text").rstrip())
            out.append("")
        out.append(f"**Fix.** {inline(r.remedy_text)}")
        out.append("")
        if r.remedy_snippet:
            out.append(fence(r.remedy_snippet, "text").rstrip())
            out.append("")
        out.append(f"**Confirm in the server's log.** {inline(r.confirm)}")
        out.append("")
        if r.server_view:
            out.append("What the server saw:")
            out.append("")
            out.append(fence(r.server_view, "text").rstrip())
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_triage(results: Sequence[TriageResult], fmt: str) -> str:
    """Render results in a format: ``text``, ``json`` or ``markdown``."""
    if fmt == "json":
        return render_json(results)
    # Pasted text is shown literally: control characters become visible escapes.
    if fmt == "markdown":
        return visible_lines(render_markdown(results))
    if fmt == "text":
        return visible_lines(render_text(results))
    raise LogsleuthError(f"unknown triage format {fmt!r}", f"use one of {', '.join(FORMATS)}")
