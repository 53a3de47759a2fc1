"""Load the triage's knowledge from data: refinement rules and id sets
(``patterns/triage_refine.toml``), checked against the client catalogue.

Every id a rule or set names must be a client entry of the catalogue, every field it reads
must be captured by each of its entries, and every cause, family and stage must exist:
a typo fails at load time with the file, the rule and what is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from logsleuth.catalogue import Catalogue, builtin_dir, load
from logsleuth.errors import CatalogueError
from logsleuth.families import FAMILIES
from logsleuth.triage.stages import STAGES

_STAGE_VALUES = frozenset(STAGES) | {"progress"}
_PROGRESS_VALUES = frozenset(STAGES) | {"none"}
_BOOL_KEYS = ("proxied", "offered", "accepted", "password_tried")
_LIST_KEYS = ("ids", "contains", "prefix", "word", "equals", "progress", "has", "lacks")
_KNOWN = frozenset(
    _BOOL_KEYS + _LIST_KEYS + ("field", "cause", "stage", "min_offered", "allowed_lacks")
)
REQUIRED_SETS = (
    "client_warnings",
    "context",
    "shared_with_server",
    "headers",
    "jump_late",
    "proxy",
    "auth_progress",
    "version_only",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One refinement: conditions on the decisive line and its attempt, and the outcome."""

    index: int
    ids: frozenset[str]
    field: str | None = None
    contains: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    word: tuple[str, ...] = ()
    equals: tuple[str, ...] = ()
    progress: frozenset[str] | None = None
    proxied: bool | None = None
    has: frozenset[str] = frozenset()
    lacks: frozenset[str] = frozenset()
    offered: bool | None = None
    accepted: bool | None = None
    password_tried: bool | None = None
    min_offered: int = 0
    allowed_lacks: str | None = None
    cause: str | None = None
    """The cause it gives (the family is its first part); None keeps the entry's."""
    stage: str | None = None
    """A stage, ``progress``, or None to keep the entry's stage."""


#: Facts a [[facts]] rule may fill or set from a field, flag, count, add to, or number.
TEXT_FACTS = frozenset(
    {"host", "ip", "user", "port", "version", "server_software", "allowed_methods", "method"}
)
FLAG_FACTS = frozenset({"authenticated", "password_tried"})
COUNT_FACTS = frozenset({"keepalive_probes"})
LIST_FACTS = frozenset({"offered", "accepted"})
NUMBER_FACTS = frozenset({"exit_status", "session_seconds"})
PARSERS = frozenset({"destination", "proxy-w", "name-and-address"})
_FACT_KEYS = frozenset(
    {
        "ids",
        "fill",
        "set",
        "number",
        "flag",
        "when",
        "count",
        "add",
        "text",
        "parse",
        "field",
        "client",
    }
)


@dataclass(frozen=True, slots=True)
class FactRule:
    """What a line of some entries says about its attempt (see triage_refine.toml)."""

    ids: frozenset[str]
    fill: tuple[tuple[str, tuple[str, ...]], ...] = ()
    set: tuple[tuple[str, tuple[str, ...]], ...] = ()
    number: tuple[tuple[str, str], ...] = ()
    flag: str | None = None
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    count: str | None = None
    add: str | None = None
    text: str = ""
    parse: str | None = None
    field: str | None = None
    client: str | None = None

    def applies(self, pid: str, family: str) -> bool:
        """Whether the rule is about a line of this entry."""
        return pid in self.ids or ("*" in self.ids and family != "session")


@dataclass(frozen=True, slots=True)
class ServerEvidence:
    """Which vague client causes a server line in the paste may replace, and by what."""

    replaces: frozenset[str]
    families: frozenset[str]


@dataclass(frozen=True, slots=True)
class ServerLog:
    """Which client causes the connection in a --server-log may replace."""

    ambiguous: frozenset[str]
    """Causes the client alone cannot pin down: the server's cause replaces them."""
    vague: frozenset[str]
    """Of those, the ones a server cause of the same family still sharpens."""


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The triage's refinement rules and id sets."""

    rules: tuple[Rule, ...]
    sets: dict[str, frozenset[str]]
    server_evidence: ServerEvidence
    server_log: ServerLog
    facts: tuple[FactRule, ...] = ()

    def rules_for(self, pid: str) -> list[Rule]:
        """The rules that apply to a decisive line of this entry, in order."""
        return [r for r in self.rules if pid in r.ids]


def _strs(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings")
        return ()
    return tuple(value)


def _check_cause(cause: str, where: str, problems: list[str]) -> None:
    family = cause.split("/", 1)[0]
    if "/" not in cause or family not in FAMILIES:
        problems.append(f"{where}: cause {cause!r} is not FAMILY/NAME with a known family")


def _check_ids(ids: Any, cat: Catalogue, where: str, problems: list[str]) -> None:
    for pid in ids:
        p = cat.get(pid)
        if p is None or p.side != "client":
            problems.append(f"{where}: {pid} is not an entry of the client catalogue")


def _rule(raw: dict[str, Any], i: int, cat: Catalogue, problems: list[str]) -> Rule | None:
    where = f"triage_refine.toml: refine #{i + 1}"
    unknown = set(raw) - _KNOWN
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    ids = _strs(raw.get("ids"), f"{where}: ids", problems)
    if not ids:
        problems.append(f"{where}: needs ids")
    _check_ids(ids, cat, where, problems)
    field = raw.get("field")
    texts = {k: _strs(raw.get(k, []), f"{where}: {k}", problems) for k in _LIST_KEYS[1:5]}
    if field is not None:
        for pid in ids:
            p = cat.get(pid)
            if p is not None and field not in p.fields:
                problems.append(f"{where}: {pid} captures no field {field!r}")
        if not any(texts.values()):
            problems.append(f"{where}: field {field!r} without contains/prefix/word/equals")
    elif any(texts.values()):
        problems.append(f"{where}: contains/prefix/word/equals need a field")
    progress = raw.get("progress")
    if progress is not None:
        bad = set(_strs(progress, f"{where}: progress", problems)) - _PROGRESS_VALUES
        if bad:
            problems.append(f"{where}: unknown progress values {sorted(bad)}")
    has = _strs(raw.get("has", []), f"{where}: has", problems)
    lacks = _strs(raw.get("lacks", []), f"{where}: lacks", problems)
    _check_ids(has + lacks, cat, where, problems)
    cause = raw.get("cause")
    if cause is not None:
        _check_cause(str(cause), where, problems)
    stage = raw.get("stage")
    if stage is not None and stage not in _STAGE_VALUES:
        problems.append(f"{where}: unknown stage {stage!r}")
    problems.extend(
        f"{where}: {key} must be true or false"
        for key in _BOOL_KEYS
        if key in raw and not isinstance(raw[key], bool)
    )
    return Rule(
        index=i,
        ids=frozenset(ids),
        field=field,
        contains=tuple(t.lower() for t in texts["contains"]),
        prefix=texts["prefix"],
        word=tuple(t.lower() for t in texts["word"]),
        equals=texts["equals"],
        progress=frozenset(progress) if progress is not None else None,
        proxied=raw.get("proxied"),
        has=frozenset(has),
        lacks=frozenset(lacks),
        offered=raw.get("offered"),
        accepted=raw.get("accepted"),
        password_tried=raw.get("password_tried"),
        min_offered=int(raw.get("min_offered", 0)),
        allowed_lacks=raw.get("allowed_lacks"),
        cause=cause,
        stage=stage,
    )


def _fields_of(
    raw: Any,
    facts: frozenset[str],
    ids: tuple[str, ...],
    cat: Catalogue,
    where: str,
    problems: list[str],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table")
        return ()
    out = []
    for fact, fields in raw.items():
        if fact not in facts:
            problems.append(f"{where}: unknown fact {fact!r}")
        names = (fields,) if isinstance(fields, str) else tuple(fields)
        _check_fields(names, ids, cat, where, problems)
        out.append((str(fact), names))
    return tuple(out)


def _check_fields(
    names: tuple[str, ...], ids: tuple[str, ...], cat: Catalogue, where: str, problems: list[str]
) -> None:
    for pid in ids if names else ():
        p = cat.get(pid)
        if p is None:
            continue
        if not any(n in p.fields for n in names):
            problems.append(f"{where}: {pid} captures none of {list(names)}")


def _fact_rule(raw: dict[str, Any], i: int, cat: Catalogue, problems: list[str]) -> FactRule:
    where = f"triage_refine.toml: facts #{i + 1}"
    unknown = set(raw) - _FACT_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    ids = _strs(raw.get("ids"), f"{where}: ids", problems)
    named = tuple(x for x in ids if x != "*")
    _check_ids(named, cat, where, problems)
    fill = _fields_of(raw.get("fill"), TEXT_FACTS, named, cat, where, problems)
    set_ = _fields_of(raw.get("set"), TEXT_FACTS, named, cat, where, problems)
    number = _fields_of(raw.get("number"), NUMBER_FACTS, named, cat, where, problems)
    when = _when(raw.get("when"))
    _check_fields(tuple(k for k, _ in when), named, cat, where, problems)
    if when and "flag" not in raw:
        problems.append(f"{where}: when needs a flag")
    for name, group in (
        ("flag", FLAG_FACTS),
        ("count", COUNT_FACTS),
        ("add", LIST_FACTS),
        ("parse", PARSERS),
    ):
        if name in raw and raw[name] not in group:
            problems.append(f"{where}: unknown {name} {raw[name]!r}")
    if "parse" in raw or "add" in raw:
        field = raw.get("field", "key")
        _check_fields((field,), named, cat, where, problems)
    if raw.get("client") not in (None, "putty", "openssh"):
        problems.append(f"{where}: unknown client {raw['client']!r}")
    return FactRule(
        ids=frozenset(ids),
        fill=fill,
        set=set_,
        number=tuple((f, n[0]) for f, n in number),
        flag=raw.get("flag"),
        when=tuple(when),
        count=raw.get("count"),
        add=raw.get("add"),
        text=str(raw.get("text", "")),
        parse=raw.get("parse"),
        field=raw.get("field", "key" if "add" in raw else None),
        client=raw.get("client"),
    )


def _when(raw: Any) -> list[tuple[str, tuple[str, ...]]]:
    if not isinstance(raw, dict):
        return []
    return [(str(k), tuple(v) if isinstance(v, list) else (str(v),)) for k, v in raw.items()]


def parse(data: dict[str, Any], cat: Catalogue) -> Knowledge:
    """Check and build the knowledge from a parsed data file."""
    problems: list[str] = []
    raw_sets = data.get("sets", {})
    sets: dict[str, frozenset[str]] = {}
    problems.extend(
        f"triage_refine.toml: [sets] lacks {name}" for name in REQUIRED_SETS if name not in raw_sets
    )
    for name, ids in raw_sets.items():
        values = _strs(ids, f"triage_refine.toml: sets.{name}", problems)
        _check_ids(values, cat, f"triage_refine.toml: sets.{name}", problems)
        sets[name] = frozenset(values)
    rules = [_rule(raw, i, cat, problems) for i, raw in enumerate(data.get("refine", []))]
    ev = data.get("server_evidence", {})
    replaces = _strs(ev.get("replaces", []), "server_evidence.replaces", problems)
    for c in replaces:
        _check_cause(c, "triage_refine.toml: server_evidence", problems)
    families = _strs(ev.get("families", []), "server_evidence.families", problems)
    problems.extend(
        f"triage_refine.toml: server_evidence: unknown family {fam!r}"
        for fam in families
        if fam not in FAMILIES
    )
    log = data.get("server_log", {})
    ambiguous = _strs(log.get("ambiguous", []), "server_log.ambiguous", problems)
    vague = _strs(log.get("vague", []), "server_log.vague", problems)
    for c in ambiguous + vague:
        _check_cause(c, "triage_refine.toml: server_log", problems)
    problems.extend(
        f"triage_refine.toml: server_log: vague {c!r} is not also ambiguous"
        for c in vague
        if c not in ambiguous
    )
    facts = tuple(_fact_rule(raw, i, cat, problems) for i, raw in enumerate(data.get("facts", [])))
    if problems:
        raise CatalogueError(problems)
    return Knowledge(
        tuple(r for r in rules if r is not None),
        sets,
        ServerEvidence(frozenset(replaces), frozenset(families)),
        ServerLog(frozenset(ambiguous), frozenset(vague)),
        facts,
    )


def load_file(path: Path, cat: Catalogue | None = None) -> Knowledge:
    """Load and check a refinement file against the catalogue."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError([f"{path.name}: cannot read: {exc}"]) from exc
    return parse(data, cat or load())


@cache
def knowledge() -> Knowledge:
    """The built-in triage knowledge (loaded and checked once)."""
    return load_file(builtin_dir() / "triage_refine.toml")
