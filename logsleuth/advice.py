"""Findings and family counts -> advice, worded by ``patterns/advice.toml`` (data).

Each advice item names the settings it changes; the report then merges them into one
sshd_config block and one client ``Host`` block per host (:mod:`logsleuth.config_blocks`),
compared with the host's configured values and guarded by its OpenSSH release.
``advice_catalogue()`` is also the vocabulary of ``triage``.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path

from logsleuth.catalogue import builtin_dir
from logsleuth.diagnose import plural
from logsleuth.errors import CatalogueError
from logsleuth.hostfacts import FactRules, HostFacts, Version, parse_version
from logsleuth.model import Advice, Finding, HostReport

MERGES = ("min", "max", "set")
SIDES = ("server", "client")
#: A value the reader must replace: sshd and ssh refuse it, so it cannot pass silently.
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9-]*>")
#: Documentation address ranges (RFC 5737, RFC 3849): never a real setting.
_DOC_ADDRESS = re.compile(r"\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d|2001:db8:", re.I)


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One sshd_config or ssh_config option the advice may set."""

    name: str
    side: str
    merge: str
    """How two proposals combine: ``min`` / ``max`` (by magnitude) or ``set`` (first wins)."""
    default: str | None = None
    since: Version | None = None
    """First OpenSSH release that knows the option."""
    alternative: str | None = None
    """What to do instead on a release that does not know it."""
    off: tuple[str, ...] = ()
    """Values that switch the mechanism off (compare as infinitely large for ``min``)."""
    older_name: str | None = None
    """A spelling that every release accepts (written when ``since`` is not certain)."""


@dataclass(frozen=True, slots=True)
class Setting:
    """An option with a value template (``{name}`` filled from the finding's numbers)."""

    option: str
    value: str
    side: str = "server"
    since: Version | None = None
    """First OpenSSH release that knows the option (from the option table)."""
    alternative: str | None = None
    older_name: str | None = None

    def template_lines(self) -> list[str]:
        """This setting for a server whose release is unknown: a gated option commented
        out behind its guard (or under its older name), a placeholder commented out."""
        line = f"{self.option} {self.value}"
        if PLACEHOLDER.search(self.value):
            return [f"# fill in {PLACEHOLDER.findall(self.value)[0]}, then uncomment:", f"# {line}"]
        if self.since is None or self.side != "server":
            return [line]
        since = f"{self.since[0]}.{self.since[1]}"
        if self.older_name:
            return [f"{self.older_name} {self.value}"]
        alt = (self.alternative or "").replace("{", "{{").replace("}", "}}")
        return [f"# OpenSSH {since}+ only:", f"# {line}", f"# before {since}: {alt}"]


@dataclass(frozen=True, slots=True)
class AdviceEntry:
    """One advice entry of the data file (public: ``triage`` words its fixes with these)."""

    id: str
    title: str
    text: str
    params: tuple[str, ...]
    harm: int
    server: tuple[Setting, ...] = ()
    client: tuple[Setting, ...] = ()
    systemd: str | None = None
    command: str | None = None
    rule: str | None = None
    family: str | None = None
    cause_contains: str | None = None
    when: tuple[str, ...] = ()

    @property
    def snippet(self) -> str | None:
        """The settings as one ``str.format`` template, for a host whose release is not
        known (what ``triage`` appends): sshd_config lines, then a client Host block."""
        parts = []
        server = [ln for s in self.server for ln in s.template_lines()]
        if server:
            parts.append(
                "\n".join(["# /etc/ssh/sshd_config (then `sshd -t` and reload sshd)", *server])
            )
        if self.client:
            host = "{host}" if "host" in self.params else "*"
            body = [f"    {s.option} {s.value}" for s in self.client]
            parts.append("\n".join(["# ~/.ssh/config", f"Host {host}", *body]))
        return "\n\n".join(parts) or None

    def fits(self, rule: str, cause: str, facts: Mapping[str, bool]) -> bool:
        """Whether this entry words a finding of ``rule`` with ``cause`` and these facts."""
        if self.rule != rule:
            return False
        if self.cause_contains and self.cause_contains not in cause:
            return False
        for cond in self.when:
            want = not cond.startswith("!")
            if bool(facts.get(cond.lstrip("!"), False)) != want:
                return False
        return True


@dataclass(frozen=True, slots=True)
class AdviceCatalogue:
    """Every advice entry, the option table and the host-fact rules."""

    entries: tuple[AdviceEntry, ...]
    options: Mapping[str, OptionSpec]
    facts: FactRules

    def entry(self, entry_id: str) -> AdviceEntry:
        """The entry with this id (KeyError when there is none)."""
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _option(name: str, raw: Mapping[str, object], problems: list[str]) -> OptionSpec:
    side, merge = str(raw.get("side", "")), str(raw.get("merge", ""))
    if side not in SIDES:
        problems.append(f"option {name}: side must be one of {', '.join(SIDES)}")
    if merge not in MERGES:
        problems.append(f"option {name}: merge must be one of {', '.join(MERGES)}")
    since = raw.get("since")
    if since is not None and not re.fullmatch(r"\d+\.\d+", str(since)):
        problems.append(f"option {name}: since {since!r} is not a release like 9.8")
        since = None
    if since is not None and not raw.get("alternative"):
        problems.append(f"option {name}: a version-gated option needs an `alternative`")
    off = raw.get("off", [])
    return OptionSpec(
        name,
        side,
        merge,
        str(raw["default"]) if "default" in raw else None,
        parse_version(str(since)) if since is not None else None,
        str(raw["alternative"]) if "alternative" in raw else None,
        tuple(str(v) for v in off) if isinstance(off, list) else (),
        str(raw["older_name"]) if "older_name" in raw else None,
    )


def _settings(
    eid: str, side: str, raw: object, options: Mapping[str, OptionSpec], problems: list[str]
) -> tuple[Setting, ...]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        opt, value = str(item.get("option", "")), str(item.get("value", ""))
        spec = options.get(opt)
        if spec is None:
            problems.append(f"advice {eid}: option {opt!r} is not in the [option] table")
        elif spec.side != side:
            problems.append(f"advice {eid}: {opt} is a {spec.side} option, listed as {side}")
        if _DOC_ADDRESS.search(value):
            problems.append(
                f"advice {eid}: {opt} {value}: a documentation address is not a setting; "
                "use a value from the data or a <placeholder>"
            )
        if spec is None:
            out.append(Setting(opt, value, side))
        else:
            out.append(Setting(opt, value, side, spec.since, spec.alternative, spec.older_name))
    return tuple(out)


def _text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    return str(value).strip("\n") or None if value else None


def load_advice(path: Path | None = None) -> AdviceCatalogue:
    """Load and check ``patterns/advice.toml``."""
    path = path or builtin_dir() / "advice.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    options = {n: _option(n, raw, problems) for n, raw in data.get("option", {}).items()}
    entries, seen = [], set()
    for raw in data.get("advice", []):
        eid = str(raw.get("id", ""))
        if not re.fullmatch(r"[a-z][a-z0-9-]*", eid) or eid in seen:
            problems.append(f"advice {eid!r}: ids are unique kebab-case words")
        seen.add(eid)
        e = AdviceEntry(
            eid,
            str(raw.get("title", "")).strip(),
            " ".join(str(raw.get("text", "")).split()),
            tuple(raw.get("params", ())),
            int(raw.get("harm", 0)),
            _settings(eid, "server", raw.get("server"), options, problems),
            _settings(eid, "client", raw.get("client"), options, problems),
            _text(raw, "systemd"),
            _text(raw, "command"),
            raw.get("rule"),
            raw.get("family"),
            raw.get("cause_contains"),
            tuple(raw.get("when", ())),
        )
        if not e.title or not e.text or e.harm <= 0:
            problems.append(f"advice {eid}: needs a title, a text and a harm rank")
        templates = [e.title, e.text, e.systemd or "", e.command or ""]
        templates += [s.value for s in (*e.server, *e.client)]
        used = set().union(*(_fields(t) for t in templates))
        if used - set(e.params):
            problems.append(f"advice {eid}: undeclared placeholders {sorted(used - set(e.params))}")
        if (e.rule is None) == (e.family is None):
            problems.append(f"advice {eid}: needs exactly one of `rule` or `family`")
        if _DOC_ADDRESS.search(f"{e.command or ''}\n{e.systemd or ''}"):
            problems.append(f"advice {eid}: a documentation address in a snippet")
        entries.append(e)
    facts = data.get("facts", {})
    counters = {
        str(c["entry"]): (str(c["kind"]), c.get("reason")) for c in facts.get("counters", [])
    }
    for name, (kind, _) in counters.items():
        if kind not in ("peak", "sum", "running", "running-end"):
            problems.append(f"facts: counter {name}: unknown kind {kind!r}")
    if problems:
        raise CatalogueError(problems)
    rules = FactRules(
        counters,
        tuple(facts.get("reboot_messages", ())),
        tuple(facts.get("reboot_programs", ())),
    )
    return AdviceCatalogue(tuple(entries), options, rules)


@cache
def advice_catalogue() -> AdviceCatalogue:
    """The built-in advice catalogue (loaded once)."""
    return load_advice()


def load_templates(path: Path | None = None) -> list[AdviceEntry]:
    """Every advice entry (``triage`` words its server-side settings with these)."""
    return list(load_advice(path).entries if path else advice_catalogue().entries)


def show(value: object) -> str:
    """A value as the advice prints it: times with their zone, whole numbers."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
    return str(value)


@dataclass(frozen=True, slots=True)
class Proposal:
    """One setting an advice item proposes for one host, filled in."""

    host: str
    option: str
    value: str
    advice_id: str
    harm: int


def fill(entry: AdviceEntry, numbers: Mapping[str, object]) -> dict[str, str] | None:
    """The entry's placeholders filled from ``numbers``; None when one is missing."""
    values = {k: show(v) for k, v in numbers.items()}
    if any(p not in values for p in entry.params):
        return None
    return values


def _proposals(
    entry: AdviceEntry, hosts: Sequence[str], values: Mapping[str, str]
) -> tuple[Proposal, ...]:
    return tuple(
        Proposal(h, s.option, s.value.format(**values), entry.id, entry.harm)
        for h in hosts
        for s in (*entry.server, *entry.client)
    )


def _facts_of(host: str, facts: Mapping[str, HostFacts]) -> dict[str, bool]:
    f = facts.get(host)
    return {"systemd": bool(f and f.systemd)}


def advise(
    findings: Iterable[Finding],
    hosts: Iterable[HostReport],
    facts: Mapping[str, HostFacts] | None = None,
    catalogue: AdviceCatalogue | None = None,
) -> list[Advice]:
    """Advice for each finding, then for families seen that no finding explained;
    ranked by harm (users' sessions first, internet noise last), then by size."""
    cat = catalogue or advice_catalogue()
    facts = facts or {}
    out: list[tuple[int, int, Advice]] = []
    explained: set[tuple[str, str]] = set()
    for f in findings:
        cause = str(f.numbers.get("cause", ""))
        hosts_of = f.hosts or (f.host,)
        known = {k: v for k, v in f.numbers.items() if isinstance(v, bool)}
        known.update(_facts_of(hosts_of[0], facts))
        for e in cat.entries:
            if not e.fits(f.rule, cause, known):
                continue
            values = fill(e, {**f.numbers, "host": f.host})
            if values is None:
                break
            out.append((e.harm, -int(str(f.numbers.get("count", 0)) or 0), _item(e, f, values)))
            if f.rule in ("idle-limit", "burst", "repeat-client", "shared-path"):
                explained.update((h, "network-drop") for h in hosts_of)
            break
    for h in hosts:
        for e in cat.entries:
            if e.family is None or (h.host, e.family) in explained:
                continue
            n = h.families.get(e.family, 0)
            if not n:
                continue
            ev = next((c.evidence for c in h.causes if c.family == e.family and c.evidence), None)
            values = fill(e, {"host": h.host, "count": n, "sessions": plural(n, "session")})
            if values is None:
                continue
            f = Finding(
                e.family, h.host, f"{plural(n, 'connection')} ended as {e.family}", {"count": n}
            )
            out.append((e.harm, -n, replace(_item(e, f, values), evidence=(ev,) if ev else ())))
    out.sort(key=lambda t: (t[0], t[1], t[2].host, t[2].id))
    return [a for _, _, a in out]


def _item(e: AdviceEntry, f: Finding, values: Mapping[str, str]) -> Advice:
    hosts_of = f.hosts or (f.host,)
    props = _proposals(e, hosts_of, values)
    return Advice(
        e.id,
        f.host,
        e.title.format(**values),
        e.text.format(**values),
        None,
        (f.summary,),
        f.evidence,
        hosts=hosts_of,
        harm=e.harm,
        settings=tuple((p.host, p.option, p.value) for p in props),
        command=e.command.format(**values) if e.command else None,
        systemd=e.systemd.format(**values) if e.systemd else None,
        connection_ids=f.connection_ids,
    )
