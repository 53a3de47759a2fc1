"""Load the triage's advice wording (``patterns/triage_advice.toml``) and check it.

Entries name causes, an optional variant flag, and text with ``{name}`` placeholders. The
loader refuses an unknown placeholder, flag or family, and a ``scan`` reference to an
entry that ``patterns/advice.toml`` (scan's advice) does not have or whose snippet needs
values the triage cannot give: the server-side settings both commands recommend are then
worded once, in scan's file.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from logsleuth.advice import AdviceEntry as Template
from logsleuth.advice import load_templates
from logsleuth.catalogue import builtin_dir
from logsleuth.errors import CatalogueError
from logsleuth.families import FAMILIES

#: Every value a template may use; remedy.py computes them from the finding.
PARAMS = frozenset(
    {
        "host", "host_arg", "host_pattern", "port", "user", "user_arg", "user_cfg",
        "ip_arg", "client_ip", "jump_arg", "jump_cfg", "error", "error_or_no_route",
        "text", "command", "spec", "how", "said", "startups_basis", "kind",
        "keepalive_basis", "probes_note", "took", "greeted", "signal", "what",
        "offer_text", "pick", "cost", "option_name", "pubkey_rsa_line", "keygen_r",
        "n_offered", "key_arg", "key_cfg", "methods", "auth_confirm", "path", "path_arg",
        "path_win", "dir_arg", "mode", "option", "option_cfg", "no_error", "entry_summary",
        "entry_explanation", "entry_remedy",
    }
)  # fmt: skip
#: Values the phrases may use.
PHRASE_PARAMS = frozenset(
    {"interval", "silence", "probes", "stage_text", "what", "shown", "placeholder"}
)
#: Variant flags an entry's ``when`` may name.
FLAGS = frozenset({"client-too-old", "offered", "windows-path"})
#: Values triage gives to a template of scan's advice.
SCAN_PARAMS = frozenset({"host", "keepalive_s", "start", "rate", "full", "grace_s"})
_PHRASES = frozenset(
    {"keepalive_none", "keepalive_short", "keepalive_long", "probes", "no_error", "unsafe"}
)
_TEXTS = ("summary", "explanation", "remedy", "snippet", "confirm")


@dataclass(frozen=True, slots=True)
class Entry:
    """The wording of one cause (or group of causes), one variant."""

    causes: tuple[str, ...]
    summary: str
    explanation: str
    remedy: str
    snippet: str
    confirm: str
    when: str | None = None
    scan: Template | None = None
    """scan's advice entry whose snippet is appended (server-side settings)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """All of the triage's advice wording."""

    entries: tuple[Entry, ...]
    phrases: dict[str, str]
    options: dict[str, str]
    legacy: dict[str, tuple[tuple[str, str], ...]]
    """Per algorithm kind: old algorithms, best first, with what enabling them costs."""

    def entry(self, cause: str, flags: frozenset[str]) -> Entry:
        """The first entry for a cause whose variant fits, else the catch-all (``*``)."""
        for e in self.entries:
            if cause in e.causes and (e.when is None or e.when in flags):
                return e
        return next(e for e in self.entries if "*" in e.causes)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _prose(text: str) -> str:
    return " ".join(text.split())


def _entry(raw: dict[str, Any], i: int, scan: dict[str, Template], problems: list[str]) -> Entry:
    where = f"triage_advice.toml: advice #{i + 1}"
    unknown = set(raw) - {*_TEXTS, "causes", "when", "scan"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    causes = tuple(raw.get("causes", ()))
    if not causes:
        problems.append(f"{where}: needs causes")
    problems.extend(
        f"{where}: cause {c!r} is not FAMILY/NAME with a known family"
        for c in causes
        if c != "*" and ("/" not in c or c.split("/", 1)[0] not in FAMILIES)
    )
    texts = {k: str(raw.get(k, "")) for k in _TEXTS}
    problems.extend(
        f"{where}: {k} is empty"
        for k in ("summary", "explanation", "remedy", "confirm")
        if not texts[k].strip()
    )
    for k, text in texts.items():
        try:
            extra = _fields(text) - PARAMS
        except ValueError as exc:
            problems.append(f"{where}: {k}: {exc}")
            continue
        if extra:
            problems.append(f"{where}: {k} uses unknown values {sorted(extra)}")
    when = raw.get("when")
    if when is not None and when not in FLAGS:
        problems.append(f"{where}: unknown flag {when!r}")
    template = None
    if "scan" in raw:
        template = scan.get(str(raw["scan"]))
        if template is None:
            problems.append(f"{where}: scan's advice has no entry {raw['scan']!r}")
        elif _fields(template.snippet or "") - SCAN_PARAMS:
            needs = sorted(_fields(template.snippet or "") - SCAN_PARAMS)
            problems.append(f"{where}: scan entry {template.id!r} needs values {needs}")
    return Entry(
        causes,
        _prose(texts["summary"]),
        _prose(texts["explanation"]),
        _prose(texts["remedy"]),
        texts["snippet"].strip("\n"),
        _prose(texts["confirm"]),
        when,
        template,
    )


def parse(data: dict[str, Any], scan: list[Template]) -> Wording:
    """Check and build the wording from a parsed data file and scan's advice templates."""
    problems: list[str] = []
    by_id = {t.id: t for t in scan}
    entries = tuple(_entry(raw, i, by_id, problems) for i, raw in enumerate(data.get("advice", [])))
    if not any("*" in e.causes for e in entries):
        problems.append("triage_advice.toml: needs a catch-all entry (causes = ['*'])")
    phrases = {k: _prose(str(v)) for k, v in data.get("phrases", {}).items()}
    if set(phrases) != _PHRASES:
        problems.append(f"triage_advice.toml: [phrases] must be exactly {sorted(_PHRASES)}")
    for k, v in phrases.items():
        extra = _fields(v) - PHRASE_PARAMS
        if extra:
            problems.append(f"triage_advice.toml: phrase {k} uses unknown values {sorted(extra)}")
    options = {str(k): str(v) for k, v in data.get("options", {}).items()}
    legacy = {
        str(item["kind"]): tuple((str(a), str(c)) for a, c in item["algorithms"])
        for item in data.get("legacy", [])
    }
    if problems:
        raise CatalogueError(problems)
    return Wording(entries, phrases, options, legacy)


def load_file(path: Path, scan: list[Template] | None = None) -> Wording:
    """Load and check a wording file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError([f"{path.name}: cannot read: {exc}"]) from exc
    return parse(data, scan if scan is not None else load_templates())


@cache
def wording() -> Wording:
    """The built-in wording (loaded and checked once)."""
    return load_file(builtin_dir() / "triage_advice.toml")
