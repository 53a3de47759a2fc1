"""Findings and family counts -> advice, worded by ``patterns/advice.toml`` (data)."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from logsleuth.catalogue import builtin_dir
from logsleuth.diagnose import fmt_seconds, plural
from logsleuth.errors import CatalogueError
from logsleuth.model import Advice, Finding, HostReport


@dataclass(frozen=True, slots=True)
class Template:
    """One advice entry of the data file."""

    id: str
    title: str
    text: str
    snippet: str | None
    params: tuple[str, ...]
    rule: str | None = None
    family: str | None = None
    cause_contains: str | None = None


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def load_templates(path: Path | None = None) -> list[Template]:
    """Load and check the advice templates."""
    path = path or builtin_dir() / "advice.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out, problems = [], []
    for raw in data.get("advice", []):
        t = Template(
            raw["id"],
            raw["title"].strip(),
            " ".join(raw["text"].split()),
            raw.get("snippet", "").strip("\n") or None,
            tuple(raw["params"]),
            raw.get("rule"),
            raw.get("family"),
            raw.get("cause_contains"),
        )
        used = _fields(t.title) | _fields(t.text) | _fields(t.snippet or "")
        if used - set(t.params):
            problems.append(
                f"advice {t.id}: undeclared placeholders {sorted(used - set(t.params))}"
            )
        if (t.rule is None) == (t.family is None):
            problems.append(f"advice {t.id}: needs exactly one of `rule` or `family`")
        out.append(t)
    if problems:
        raise CatalogueError(problems)
    return out


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return str(value)


def _fill(t: Template, host: str, numbers: Mapping[str, object]) -> tuple[str, str, str | None]:
    values = {k: _show(v) for k, v in numbers.items()}
    values["host"] = host
    if "limit_s" in numbers:
        values["limit"] = fmt_seconds(float(str(numbers["limit_s"])))
        values["center"] = fmt_seconds(float(str(numbers["center_s"])))
    missing = {p: "?" for p in t.params if p not in values}
    values.update(missing)
    return (
        t.title.format(**values),
        t.text.format(**values),
        t.snippet.format(**values) if t.snippet else None,
    )


def advise(
    findings: Iterable[Finding],
    hosts: Iterable[HostReport],
    templates: list[Template] | None = None,
) -> list[Advice]:
    """Advice for each finding, then for families seen that no finding explained."""
    templates = templates if templates is not None else load_templates()
    out: list[Advice] = []
    explained: set[tuple[str, str]] = set()
    for f in findings:
        for t in templates:
            if t.rule != f.rule:
                continue
            cause = str(f.numbers.get("cause", ""))
            if t.cause_contains and t.cause_contains not in cause:
                continue
            title, text, snippet = _fill(t, f.host, f.numbers)
            out.append(Advice(t.id, f.host, title, text, snippet, (f.summary,), f.evidence))
            if f.rule in ("idle-limit", "burst", "repeat-client"):
                explained.add((f.host, "network-drop"))
            break
    for h in hosts:
        for t in templates:
            if t.family is None or (h.host, t.family) in explained:
                continue
            n = h.families.get(t.family, 0)
            if n:
                ev = next(
                    (c.evidence for c in h.causes if c.family == t.family and c.evidence), None
                )
                numbers = {"count": n, "sessions": plural(n, "session")}
                title, text, snippet = _fill(t, h.host, numbers)
                out.append(
                    Advice(
                        t.id,
                        h.host,
                        title,
                        text,
                        snippet,
                        (f"{n} connections ended as {t.family}",),
                        (ev,) if ev else (),
                    )
                )
    return out
