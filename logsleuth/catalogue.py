"""Load, validate and match the pattern catalogue (``patterns/*.toml``).

The catalogue is data: every entry names a message shape, its family and cause, and
carries its own samples and near-misses, which :func:`validate` checks at load time.

A catalogue that passed validation is remembered in a cache file (see :func:`load`)
keyed by the content of its files and by this loader, so that the next process with the
same files skips the parse and the validation; regexes are compiled on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from logsleuth import __version__, families
from logsleuth.errors import CatalogueError
from logsleuth.families import PATTERN_FAMILIES
from logsleuth.model import PatternId

#: What the sessionizer does with a line of this shape.
ROLES: dict[str, str] = {
    "start": "a new TCP connection (Connection from ...)",
    "auth-ok": "authentication succeeded (Accepted ...)",
    "auth-fail": "an authentication attempt failed; decides the end only before auth",
    "end": "the connection ended this way",
    "link": "names another pid of the same connection (User child is on pid N)",
    "session-open": "a PAM/logind session opened",
    "session-close": "a PAM/logind session closed (the connection is over)",
    "drop": "the listener refused a connection before forking (MaxStartups, penalty)",
    "pid-end": "the listener ended the connection of process `pid`",
    "server": "about the whole server (signal, listening, restart)",
    "host": "about the whole host: a reboot or power-off kills every connection on it",
    "info": "context only",
}
SIDES = ("server", "client")
STATUSES = ("stable", "preview", "deprecated")
DEFAULT_PRIORITY = {"end": 50, "auth-fail": 30, "drop": 50, "pid-end": 60}

_REQUIRED = (
    "id",
    "name",
    "side",
    "family",
    "cause",
    "role",
    "regex",
    "summary",
    "explanation",
    "remedy",
    "sample",
)
_OPTIONAL = (
    "fields",
    "priority",
    "status",
    "versions",
    "references",
    "aliases",
    "nonmatch",
    "postauth_family",
    "postauth_cause",
    "stage",
    "precedence",
    "level",
    "levels",
)
_ID_RE = re.compile(r"^[A-Z][0-9]{3}$")
_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Constructs outside the RE2-compatible subset: look-around, backreferences,
# conditionals, atomic groups and possessive quantifiers.
_NON_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|\(\?\(|\(\?>|[*+?}]\+")
_LEVEL_RE = re.compile(r"^(error|fatal|debug[123]): ")
_PHASE_RE = re.compile(r" \[(preauth|postauth)\]$")


_LEVELS = tuple(f"{level}: " for level in ("error", "fatal", "debug1", "debug2", "debug3"))
_PHASES = (" [preauth]", " [postauth]")


def split_envelope(message: str) -> tuple[str | None, str, str | None]:
    """Split ``error: body [preauth]`` into (level, body, phase)."""
    level = phase = None
    if message.startswith(_LEVELS):
        level, _, message = message.partition(": ")
    if message.endswith(_PHASES):
        message, _, tail = message.rpartition(" [")
        phase = tail[:-1]
    elif message.endswith("]\n"):  # `$` also matches before a final newline
        m = _PHASE_RE.search(message)
        if m:
            phase, message = m.group(1), message[: m.start()]
    return level, message.rstrip(), phase


@dataclass(frozen=True, slots=True)
class Sample:
    """An example message and the fields its entry must capture from it."""

    line: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Pattern:
    """One catalogue entry: one message shape."""

    id: PatternId
    name: str
    side: str
    family: str
    cause: str
    role: str
    regex: str
    fields: tuple[str, ...]
    summary: str
    explanation: str
    remedy: str
    samples: tuple[Sample, ...]
    nonmatch: tuple[str, ...] = ()
    priority: int = 0
    status: str = "stable"
    versions: str = ""
    references: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    postauth_family: str | None = None
    postauth_cause: str | None = None
    stage: str | None = None
    precedence: int = 0
    """Higher is tried first when two entries may match the same message."""
    levels: tuple[str, ...] = ()
    """When set, the entry matches only messages written at one of these levels
    (``debug1``...): after every entry without levels has failed."""
    file: str = ""

    @cached_property
    def compiled(self) -> Any:
        """The regex compiled with the ``regex`` module (the loader's engine), on first use."""
        import regex  # only the loader and the reference path use it

        return regex.compile(self.regex)

    def match(self, body: str) -> dict[str, str] | None:
        """Fields captured from a message body, or None when it does not match."""
        m = self.compiled.fullmatch(body)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None and v != ""}


def literal_prefix(pattern: str) -> str:
    """The literal text every match of an anchored regex starts with ("" if none)."""
    return os.path.commonprefix(list(literal_prefixes(pattern)))


# The parser behind the standard library's ``re``: it turns a regex into a tree whose
# literal parts can be read off (what every match must start with, or contain).
_SRE: Any = importlib.import_module("re._parser")
_SRE_C: Any = importlib.import_module("re._constants")
MAX_PREFIXES = 64
"""An entry with more alternative prefixes than this is dispatched on their common part."""
MAX_CLASS = 4
"""A character class of up to this many plain characters is expanded into alternatives."""


def _extend(starts: list[str], items: Any) -> tuple[list[str], bool]:
    """Extend each of ``starts`` by what a parsed sequence must begin with.

    Returns the prefixes and whether they may still grow (the sequence was all literal).
    """
    c = _SRE_C
    for op, av in items:
        if len(starts) > MAX_PREFIXES:
            return [os.path.commonprefix(starts)], False
        if op is c.AT:
            if av is c.AT_BEGINNING or av is c.AT_BEGINNING_STRING:
                continue
            return starts, False
        if op is c.LITERAL:
            starts = [s + chr(av) for s in starts]
            continue
        if op is c.IN and 0 < len(av) <= MAX_CLASS and all(o is c.LITERAL for o, _ in av):
            starts = [s + chr(ch) for s in starts for _, ch in av]
        elif op is c.SUBPATTERN and not av[1] and not av[2]:
            starts, open_ = _extend(starts, av[3])
            if not open_:
                return starts, False
            continue
        elif op is c.BRANCH:
            out: list[str] = []
            all_open = True
            for alt in av[1]:
                got, open_ = _extend(starts, alt)
                out += got
                all_open = all_open and open_
            starts = out
            if not all_open:
                return starts, False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, sub = av
            if low == 0:
                if high == 1:  # optional: with it or without it
                    got, open_ = _extend(starts, sub)
                    if open_:
                        starts = got + starts
                        continue
                    return got + starts, False
                return starts, False
            got, open_ = _extend(starts, sub)
            return got, open_ and low == high == 1
        else:
            return starts, False
    return starts, True


def literal_prefixes(pattern: str) -> tuple[str, ...]:
    """Every match of ``pattern`` starts with one of these (("",) when nothing is known).

    Read off the parsed regex: literal characters, groups, alternatives, optional parts
    and small character classes; anything else ends the prefix.
    """
    try:
        parsed = _SRE.parse(pattern)
    except Exception:  # noqa: BLE001 (the loader reports regexes that do not compile)
        return ("",)
    if parsed.state.flags & (_SRE_C.SRE_FLAG_IGNORECASE | _SRE_C.SRE_FLAG_VERBOSE):
        return ("",)
    starts, _ = _extend([""], list(parsed))
    if len(starts) > MAX_PREFIXES:
        starts = [os.path.commonprefix(starts)]
    # A prefix that extends another adds nothing to a startswith() test.
    uniq = sorted(set(starts))
    kept = [s for s in uniq if not any(s != o and s.startswith(o) for o in uniq)]
    return tuple(kept) or ("",)


def required_text(pattern: str) -> str:
    """The longest literal run every match of ``pattern`` contains ("" when none)."""
    try:
        parsed = _SRE.parse(pattern)
    except Exception:  # noqa: BLE001
        return ""
    if parsed.state.flags & (_SRE_C.SRE_FLAG_IGNORECASE | _SRE_C.SRE_FLAG_VERBOSE):
        return ""
    best, run = "", ""
    for op, av in parsed:
        if op is _SRE_C.LITERAL:
            run += chr(av)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


DISPATCH_KEY = 8
"""Characters of a message body that select its candidate entries."""
MAX_DISPATCH = 8192
"""Distinct keys remembered per side (beyond that, candidates are computed per line)."""


@dataclass(frozen=True)
class _Candidate:
    """An entry as the dispatcher tries it: cheap tests first, then the regex."""

    pattern: Pattern
    prefixes: tuple[str, ...]
    """A matching body starts with one of these (("",): no test)."""
    required: str
    """A matching body contains this ("" : no test)."""

    @cached_property
    def fullmatch(self) -> Any:
        """The regex compiled with the standard library's ``re`` (faster than ``regex``),
        when the dispatcher first selects the entry: a run compiles only what it tries."""
        try:
            return re.compile(self.pattern.regex).fullmatch
        except (re.error, OverflowError):  # valid for `regex` only: keep its compiled form
            return self.pattern.compiled.fullmatch


_Try = tuple[tuple[str, ...] | None, str, Any, Pattern]
"""A :class:`_Candidate` as the dispatcher unpacks it for one key: the prefixes a body
with that key must still be tested for (None: the key alone shows it starts with one),
required, fullmatch, entry."""


class Catalogue:
    """The loaded, validated catalogue, with fast matching by literal prefix.

    The result of :meth:`match` is defined by :meth:`match_plain`: the first entry in
    catalogue order (precedence, then id) whose regex fully matches, entries restricted to
    levels after all others. :meth:`match` gets the same answer faster: the first
    :data:`DISPATCH_KEY` characters of a body select the entries whose literal prefixes
    (read off their regexes at load) allow it, in catalogue order.
    """

    def __init__(
        self,
        patterns: Iterable[Pattern],
        literals: Mapping[str, tuple[tuple[str, ...], str]] | None = None,
    ) -> None:
        """``literals``: regex -> (prefixes, required text) already read off (the cache)."""
        self.patterns: list[Pattern] = sorted(patterns, key=lambda p: (-p.precedence, p.id))
        self._by_id = {p.id: p for p in self.patterns}
        for p in self.patterns:
            for alias in p.aliases:
                self._by_id.setdefault(PatternId(alias), p)
        self._ordered: dict[str, list[_Candidate]] = {}
        self._dispatch: dict[str, dict[str, tuple[_Try, ...]]] = {}
        self._by_level: dict[tuple[str, str], list[Pattern]] = {}
        for side in SIDES:
            ordered: list[_Candidate] = []
            for p in self.patterns:
                if p.side != side:
                    continue
                if p.levels:
                    for level in p.levels:
                        self._by_level.setdefault((side, level), []).append(p)
                    continue
                ordered.append(_candidate(p, literals or {}))
            self._ordered[side] = ordered
            self._dispatch[side] = {}

    def __iter__(self) -> Iterator[Pattern]:
        return iter(self.patterns)

    def __len__(self) -> int:
        return len(self.patterns)

    def get(self, pid: str) -> Pattern | None:
        """The entry with this id (or alias), if any."""
        return self._by_id.get(PatternId(pid))

    def _for_key(self, key: str, side: str) -> tuple[_Try, ...]:
        """The entries (in catalogue order) that a body starting with ``key`` may match."""
        table = self._dispatch[side]
        found = table.get(key)
        if found is None:
            # A body that starts with ``key`` starts with every prefix that ``key`` starts
            # with, and with no prefix that differs from it: only longer ones need a test.
            found = tuple(
                (
                    None
                    if any(key.startswith(s) for s in c.prefixes)
                    else tuple(s for s in c.prefixes if s.startswith(key)),
                    c.required,
                    c.fullmatch,
                    c.pattern,
                )
                for c in self._ordered[side]
                if any(s.startswith(key) or key.startswith(s) for s in c.prefixes)
            )
            if len(table) < MAX_DISPATCH:
                table[key] = found
        return found

    def candidates(self, body: str, side: str = "server") -> list[Pattern]:
        """Entries that could match this body, in the order they are tried."""
        return [
            pattern
            for prefixes, required, _, pattern in self._for_key(body[:DISPATCH_KEY], side)
            if (prefixes is None or body.startswith(prefixes)) and required in body
        ]

    def match(
        self, body: str, side: str = "server", level: str | None = None
    ) -> tuple[Pattern, dict[str, str]] | None:
        """The first entry that fully matches the message body, with its fields.

        ``level`` is the level :func:`split_envelope` took off the message; entries
        restricted to levels are tried only for it, after all the others. Same result as
        :meth:`match_plain`.
        """
        key = body[:DISPATCH_KEY]
        cands = self._dispatch[side].get(key)
        if cands is None:
            cands = self._for_key(key, side)
        for prefixes, required, fullmatch, pattern in cands:
            if (prefixes is None or body.startswith(prefixes)) and required in body:
                m = fullmatch(body)
                if m is not None:
                    return pattern, {k: v for k, v in m.groupdict().items() if v}
        if level is not None:
            for p in self._by_level.get((side, level), ()):
                fields = p.match(body)
                if fields is not None:
                    return p, fields
        return None

    def match_plain(
        self, body: str, side: str = "server", level: str | None = None
    ) -> tuple[Pattern, dict[str, str]] | None:
        """:meth:`match` the plain way: every entry in catalogue order, no shortcuts.

        The reference the dispatcher is checked against (same result, slower).
        """
        for p in self.patterns:
            if p.side == side and not p.levels:
                fields = p.match(body)
                if fields is not None:
                    return p, fields
        if level is not None:
            for p in self.patterns:
                if p.side == side and level in p.levels:
                    fields = p.match(body)
                    if fields is not None:
                        return p, fields
        return None

    def match_all(self, body: str, side: str = "server", level: str | None = None) -> list[Pattern]:
        """Every entry of a side that matches (used to find overlaps)."""
        return [
            p
            for p in self.patterns
            if p.side == side and (not p.levels or level in p.levels) and p.match(body) is not None
        ]


def _candidate(p: Pattern, literals: Mapping[str, tuple[tuple[str, ...], str]]) -> _Candidate:
    known = literals.get(p.regex)
    if known is not None:
        return _Candidate(p, known[0], known[1])
    return _Candidate(p, literal_prefixes(p.regex), required_text(p.regex))


def builtin_dir() -> Path:
    """The built-in catalogue: ``patterns/`` of a checkout, or the copy inside the wheel."""
    checkout = Path(__file__).resolve().parent.parent / "patterns"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("logsleuth") / "_patterns"))


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def _parse_entry(raw: dict[str, Any], file: str, problems: list[str]) -> Pattern | None:
    pid = str(raw.get("id", "?"))
    where = f"{file}: {pid}"
    missing = [k for k in _REQUIRED if k not in raw or raw[k] in ("", [], None)]
    if missing:
        problems.append(f"{where}: missing or empty {', '.join(missing)}")
        return None
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    if not _ID_RE.match(pid):
        problems.append(f"{where}: id must be a letter and three digits (e.g. D101)")
    if not _NAME_RE.match(str(raw["name"])):
        problems.append(f"{where}: name must be kebab-case")
    for key, allowed in (("side", SIDES), ("role", tuple(ROLES)), ("status", STATUSES)):
        if key in raw and raw[key] not in allowed:
            problems.append(f"{where}: {key} {raw[key]!r} is not one of {', '.join(allowed)}")
    for fam_key, cause_key in (("family", "cause"), ("postauth_family", "postauth_cause")):
        fam = raw.get(fam_key)
        if fam is None:
            continue
        if fam not in PATTERN_FAMILIES:
            problems.append(f"{where}: {fam_key} {fam!r} is not a known family")
        cause = str(raw.get(cause_key, ""))
        if not cause.startswith(f"{fam}/"):
            problems.append(f"{where}: {cause_key} {cause!r} must start with '{fam}/'")
    bad_levels = [v for v in _str_tuple(raw.get("levels")) if not _LEVEL_RE.match(f"{v}: ")]
    if bad_levels:
        problems.append(f"{where}: levels {bad_levels} are not error, fatal or debug1-3")
    import regex  # the loader's engine: what compiles here is what the catalogue allows

    rx = str(raw["regex"])
    if _NON_RE2.search(rx):
        problems.append(
            f"{where}: regex uses look-around, backreferences, conditionals or "
            "possessive/atomic groups (keep to the RE2-compatible subset)"
        )
    if not rx.startswith("^") or not rx.endswith("$"):
        problems.append(f"{where}: regex must be anchored with ^ and $")
    try:
        compiled = regex.compile(rx)
    except regex.error as exc:
        problems.append(f"{where}: regex does not compile: {exc}")
        return None
    groups = tuple(compiled.groupindex)
    declared = _str_tuple(raw.get("fields", groups))
    if set(declared) != set(groups):
        problems.append(
            f"{where}: named groups {sorted(groups)} differ from fields {sorted(declared)}"
        )
    samples = []
    for s in raw["sample"]:
        if not isinstance(s, dict) or "line" not in s:
            problems.append(f"{where}: every sample needs a `line`")
            continue
        samples.append(Sample(str(s["line"]), {k: str(v) for k, v in s.get("fields", {}).items()}))
    nonmatch = tuple(str(n["line"] if isinstance(n, dict) else n) for n in raw.get("nonmatch", []))
    pattern = Pattern(
        id=PatternId(pid),
        name=str(raw["name"]),
        side=str(raw["side"]),
        family=str(raw["family"]),
        cause=str(raw["cause"]),
        role=str(raw["role"]),
        regex=rx,
        fields=declared,
        summary=str(raw["summary"]).strip(),
        explanation=str(raw["explanation"]).strip(),
        remedy=str(raw["remedy"]).strip(),
        samples=tuple(samples),
        nonmatch=nonmatch,
        priority=int(raw.get("priority", DEFAULT_PRIORITY.get(str(raw["role"]), 0))),
        status=str(raw.get("status", "stable")),
        versions=str(raw.get("versions", "")),
        references=_str_tuple(raw.get("references")),
        aliases=_str_tuple(raw.get("aliases")),
        postauth_family=raw.get("postauth_family"),
        postauth_cause=raw.get("postauth_cause"),
        stage=raw.get("stage"),
        precedence=int(raw.get("precedence", 0)),
        levels=_str_tuple(raw.get("levels")),
        file=file,
    )
    pattern.__dict__["compiled"] = compiled  # already compiled: the cached property's value
    return pattern


def _read_files(files: Iterable[Path]) -> list[tuple[Path, bytes | OSError]]:
    """Each file's bytes (or why it could not be read): read once, hashed and parsed."""
    read: list[tuple[Path, bytes | OSError]] = []
    for path in files:
        try:
            read.append((path, path.read_bytes()))
        except OSError as exc:
            read.append((path, exc))
    return read


def parse_files(files: Iterable[Path]) -> tuple[list[Pattern], list[str]]:
    """Parse catalogue files into entries, collecting problems instead of stopping."""
    return _parse_read(_read_files(files))


def _parse_read(read: Iterable[tuple[Path, bytes | OSError]]) -> tuple[list[Pattern], list[str]]:
    patterns: list[Pattern] = []
    problems: list[str] = []
    for path, content in read:
        try:
            if isinstance(content, OSError):
                raise content
            data = tomllib.loads(content.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{path.name}: cannot read: {exc}")
            continue
        for raw in data.get("pattern", []):
            p = _parse_entry(raw, path.name, problems)
            if p is not None:
                patterns.append(p)
    return patterns, problems


def check_samples(cat: Catalogue, p: Pattern) -> list[str]:
    """Problems with one entry's samples and near-misses against the whole catalogue."""
    problems: list[str] = []
    where = f"{p.file}: {p.id}"
    for s in p.samples:
        level, body, _ = split_envelope(s.line)
        if p.levels and level not in p.levels:
            problems.append(f"{where}: sample {s.line!r} is not written at {'/'.join(p.levels)}")
            continue
        got = p.match(body)
        if got is None:
            problems.append(f"{where}: sample does not match its own regex: {s.line!r}")
            continue
        if got != s.fields:
            problems.append(f"{where}: sample {s.line!r} captured {got}, expected {s.fields}")
        # An overlap is allowed only when this entry is tried first (higher precedence).
        # Entries restricted to levels come after all others, whatever their precedence.
        others = [
            o.id
            for o in cat.match_all(body, p.side, level)
            if o.id != p.id and o.precedence >= p.precedence and len(o.levels) >= len(p.levels)
        ]
        if others:
            problems.append(f"{where}: sample {s.line!r} also matches {', '.join(others)}")
        hit = cat.match(body, p.side, level)
        if hit is not None and hit[0].id != p.id:
            problems.append(f"{where}: sample {s.line!r} is classified as {hit[0].id}")
    for n in p.nonmatch:
        level, body, _ = split_envelope(n)
        hits = [o.id for o in cat.match_all(body, p.side, level)]
        if hits:
            problems.append(f"{where}: near-miss {n!r} matches {', '.join(hits)}")
    return problems


def validate(cat: Catalogue) -> list[str]:
    """Every problem of a parsed catalogue: duplicate ids, samples, near-misses."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for p in cat:
        for key in (p.id, *p.aliases):
            if key in seen:
                problems.append(f"{p.file}: {p.id}: id {key} already used in {seen[key]}")
            seen[key] = p.file
        problems.extend(check_samples(cat, p))
    return problems


def catalogue_files(extra_dirs: Iterable[Path | str] = (), builtin: bool = True) -> list[Path]:
    """The ``*.toml`` files of the built-in catalogue and any user directories."""
    dirs = ([builtin_dir()] if builtin else []) + [Path(d) for d in extra_dirs]
    files: list[Path] = []
    for d in dirs:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(d.glob("*.toml")))
        else:
            raise CatalogueError([f"{d}: no such pattern file or directory"])
    return files


_CACHE: dict[tuple[str, ...], Catalogue] = {}
CACHE_FORMAT = "1"
"""Changes whenever the cache file's layout does."""
_TUPLES = ("fields", "nonmatch", "references", "aliases", "levels")


def cache_dir() -> Path | None:
    """Where validated catalogues are remembered: ``$XDG_CACHE_HOME/logsleuth`` (by
    default ``~/.cache/logsleuth``); None when there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset or relative: ignored, as the spec says
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "logsleuth"


def _loader_digest() -> bytes | None:
    """What validation depends on besides the files: this logsleuth (version and the
    loader's source), Python (``re``) and the installed ``regex`` module."""
    h = hashlib.sha256(f"{CACHE_FORMAT}\0{__version__}\0{sys.version}\0".encode())
    try:
        for module in (__file__, families.__file__):
            h.update(Path(str(module)).read_bytes())
        spec = importlib.util.find_spec("regex")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return None
        st = os.stat(origin)
        h.update(f"{origin}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    except (OSError, KeyError, ImportError, ValueError):
        return None
    return h.digest()


def _cache_key(read: Sequence[tuple[Path, bytes | OSError]]) -> str | None:
    """The content key of a catalogue: its files (names and bytes) and the loader."""
    loader = _loader_digest()
    if loader is None:
        return None
    h = hashlib.sha256(loader)
    for path, content in read:
        if isinstance(content, OSError):
            return None
        h.update(f"{path.name}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
        h.update(content)
    return h.hexdigest()


def _cache_file(folder: Path, files: Sequence[Path]) -> Path:
    """One cache file per set of catalogue files (rewritten when their content changes)."""
    names = "\0".join(os.path.abspath(f) for f in files)
    digest = hashlib.sha256(names.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return folder / f"catalogue-{digest}.json"


def _from_cache(path: Path, key: str) -> Catalogue | None:
    """The catalogue remembered under ``key``, or None (missing, stale, unreadable, or a
    file this user does not own or others may write: then it is validated again)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return None
            data = json.loads(fh.read())
        if data.get("key") != key:
            return None
        patterns: list[Pattern] = []
        literals: dict[str, tuple[tuple[str, ...], str]] = {}
        for raw in data["entries"]:
            entry = dict(raw["pattern"])
            for name in _TUPLES:
                entry[name] = tuple(entry[name])
            entry["samples"] = tuple(Sample(str(ln), dict(fs)) for ln, fs in entry["samples"])
            patterns.append(Pattern(**entry))
            if raw["literals"] is not None:
                prefixes, required = raw["literals"]
                literals[entry["regex"]] = (tuple(prefixes), str(required))
        return Catalogue(patterns, literals)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _to_cache(path: Path, key: str, cat: Catalogue) -> None:
    """Remember a validated catalogue; a cache that cannot be written is skipped."""
    literals = {
        c.pattern.regex: (c.prefixes, c.required) for cs in cat._ordered.values() for c in cs
    }
    names = [f.name for f in fields(Pattern)]
    entries = [
        {
            "pattern": {
                **{n: getattr(p, n) for n in names if n != "samples"},
                "samples": [[s.line, s.fields] for s in p.samples],
            },
            "literals": literals.get(p.regex),
        }
        for p in cat.patterns
    ]
    text = json.dumps({"key": key, "entries": entries}, ensure_ascii=False)
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".catalogue-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def load(
    extra_dirs: Iterable[Path | str] = (),
    builtin: bool = True,
    check: bool = True,
    cache: bool = True,
) -> Catalogue:
    """Load and validate the catalogue; raise :class:`CatalogueError` listing every problem.

    A catalogue that passed validation is remembered in :func:`cache_dir` (``cache``:
    read and write it), keyed by the bytes of every file and by this loader (logsleuth's
    version and source, Python, the ``regex`` module): the same files are not validated
    again, and any change to them is (a user's ``--patterns`` file included). When the
    cache cannot be written (no home, a read-only one), every load validates.
    """
    files = catalogue_files(extra_dirs, builtin)
    key = tuple(str(f) for f in files) + (str(check),)
    if key in _CACHE:
        return _CACHE[key]
    read = _read_files(files)
    folder = cache_dir() if cache else None
    content_key = _cache_key(read) if folder is not None else None
    stored = _cache_file(folder, files) if folder is not None else None
    cat = None
    if stored is not None and content_key is not None:
        cat = _from_cache(stored, content_key)
    if cat is None:
        patterns, problems = _parse_read(read)
        cat = Catalogue(patterns)
        if check:
            problems += validate(cat)
        if problems:
            raise CatalogueError(problems)
        if check and stored is not None and content_key is not None:
            _to_cache(stored, content_key, cat)
    _CACHE[key] = cat
    return cat
