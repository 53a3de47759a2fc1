"""Merge what the advice items propose into one configuration block per host.

Per host and option the proposals combine by the option's ``merge`` rule (the smallest
keepalive interval, the largest MaxStartups...). The result is compared with the
host's configured value (``--sshd-config``) or OpenSSH's default, and an option the
host's release may not know is written commented out behind its guard, with the
portable alternative. A value with a ``<placeholder>`` is always commented out.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from logsleuth.advice import PLACEHOLDER, AdviceCatalogue, OptionSpec
from logsleuth.hostfacts import HostFacts, VersionRange, show_version
from logsleuth.model import Advice, HostConfig
from logsleuth.sshd_config import SshdSettings, parse_seconds


def magnitude(value: str, spec: OptionSpec) -> float:
    """How large a value is, for ``min``/``max`` merging: seconds for times, the first
    number of ``start:rate:full``; "off" values are infinitely large."""
    if value.strip().lower() in {v.lower() for v in spec.off}:
        return math.inf
    head = value.split(":", 1)[0]
    seconds = parse_seconds(head)
    if seconds is not None:
        return float(seconds)
    m = re.match(r"\d+", head)
    return float(m.group()) if m else math.nan


@dataclass(frozen=True, slots=True)
class Line:
    """One merged option of one host."""

    option: str
    value: str
    configured: str | None
    """The host's value from --sshd-config, None when unknown."""
    default: str | None
    state: str
    """``set`` (write it), ``kept`` (already as good), ``guarded`` (release unknown),
    ``unsupported`` (release too old), ``placeholder`` (the reader fills it in),
    ``older-name`` (written with the spelling every release accepts)."""
    switches_off: bool = False
    """The value is one of the option's "off" values."""

    @property
    def in_force(self) -> bool:
        """The proposal switches off a mechanism that is off by default: the log showed
        it acting (``terminating inactive connection``), so the host sets some value of
        its own that only --sshd-config would tell."""
        return self.configured is None and self.value == self.default and self.switches_off


def _pick(spec: OptionSpec, values: Sequence[str]) -> str:
    if spec.merge == "min":
        return min(values, key=lambda v: magnitude(v, spec))
    if spec.merge == "max":
        return max(values, key=lambda v: magnitude(v, spec))
    return values[0]


def _kept(spec: OptionSpec, value: str, current: str | None) -> bool:
    if current is None:
        return False
    if spec.merge == "set":
        return current.strip().lower() == value.strip().lower()
    have, want = magnitude(current, spec), magnitude(value, spec)
    if math.isnan(have) or math.isnan(want):
        return False
    return have <= want if spec.merge == "min" else have >= want


def merge_host(
    proposals: Sequence[tuple[str, str]],
    options: Mapping[str, OptionSpec],
    versions: VersionRange,
    settings: SshdSettings | None,
) -> list[Line]:
    """Merged lines of one host, in the order the options were first proposed."""
    by_option: dict[str, list[str]] = defaultdict(list)
    for opt, value in proposals:
        by_option[opt].append(value)
    out = []
    for opt, values in by_option.items():
        spec = options[opt]
        value = _pick(spec, values)
        configured = settings.value(opt) if settings and spec.side == "server" else None
        supported = versions.supports(spec.since) if spec.side == "server" else True
        if PLACEHOLDER.search(value):
            state = "placeholder"
        elif _kept(spec, value, configured):
            # Only a value the host's file states counts: the log itself may prove that
            # the default is not in force (a keepalive timeout means ClientAliveInterval).
            state = "kept"
        elif supported is not True and spec.older_name:
            state = "older-name"
        elif supported is False:
            state = "unsupported"
        elif supported is None:
            state = "guarded"
        else:
            state = "set"
        off = value.strip().lower() in {v.lower() for v in spec.off}
        out.append(Line(opt, value, configured, spec.default, state, off))
    return out


def _was(line: Line, host: str) -> str:
    if line.configured is not None:
        return f"was {line.configured}"
    if line.in_force:
        return f"in force on {host} (its log shows it acting), value not known"
    return f"OpenSSH default {line.default}" if line.default is not None else "not set by default"


def server_lines(
    host: str, lines: Sequence[Line], options: Mapping[str, OptionSpec], versions: VersionRange
) -> list[str]:
    """sshd_config lines: comments above their option (sshd has no trailing comments)."""
    out: list[str] = []
    for ln in lines:
        spec = options[ln.option]
        since = show_version(spec.since) if spec.since else ""
        if ln.state == "set":
            out += [f"# {ln.option}: {_was(ln, host)}", f"{ln.option} {ln.value}"]
        elif ln.state == "older-name":
            out += [
                f"# {ln.option} (OpenSSH {since}+) under {spec.older_name}, its name before "
                f"{since}, since {host} runs {versions.describe()}",
                f"{spec.older_name} {ln.value}",
            ]
        elif ln.state == "guarded":
            out += [
                f"# OpenSSH {since}+ only; {host} runs {versions.describe()} by its log "
                "(`sshd -V` tells):",
                f"# {ln.option} {ln.value}",
                f"# before {since}: {spec.alternative}",
            ]
        elif ln.state == "unsupported":
            out.append(
                f"# {ln.option} needs OpenSSH {since}+ and {host} runs "
                f"{versions.describe()}: instead, {spec.alternative}"
            )
        elif ln.state == "placeholder":
            out += [
                f"# fill in {PLACEHOLDER.findall(ln.value)[0]} (see the advice), then uncomment:",
                f"# {ln.option} {ln.value}",
            ]
    return out


def client_lines(
    host: str, lines: Sequence[Line], proposed: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """One ``Host`` block for ~/.ssh/config; where the items proposed different values,
    a comment says which one covers them all."""
    body = []
    for ln in lines:
        if ln.state != "set":
            continue
        others = (proposed or {}).get(ln.option, ())
        if len(others) > 1:
            body.append(
                f"    # {ln.option}: the items above propose {', '.join(others)}; "
                f"{ln.value} covers all"
            )
        body.append(f"    {ln.option} {ln.value}")
    return [f"Host {host}", *body] if body else []


def change_text(host: str, ln: Line, spec: OptionSpec) -> str:
    """``web01: MaxStartups 10:30:100 -> 21:30:100`` and the like."""
    since = show_version(spec.since) if spec.since else ""
    if ln.state == "set" and ln.in_force:
        return f"{host}: {ln.option} (in force, value not known) -> {ln.value}"
    if ln.state == "set" and ln.configured is None and ln.value == ln.default:
        return ""
    if ln.state == "kept":
        return f"{host}: {ln.option} stays {ln.configured} (already enough)"
    if ln.state == "unsupported":
        return f"{host}: no {ln.option} before OpenSSH {since}; instead {spec.alternative}"
    if ln.state == "guarded":
        return f"{host}: {ln.option} {ln.value} if it runs OpenSSH {since}+ (commented out)"
    if ln.state == "placeholder":
        return f"{host}: {ln.option} {ln.value} once you fill it in (commented out)"
    was = ln.configured if ln.configured is not None else ln.default
    if ln.state == "older-name":
        name = spec.older_name
        return f"{host}: {name} {was} -> {ln.value}" if was else f"{host}: {name} {ln.value}"
    return f"{host}: {ln.option} {was} -> {ln.value}" if was else f"{host}: {ln.option} {ln.value}"


def _context(
    host: str, facts: Mapping[str, HostFacts], configs: Mapping[str, SshdSettings]
) -> tuple[VersionRange, SshdSettings | None]:
    f = facts.get(host)
    return (f.versions if f else VersionRange()), configs.get(host) or configs.get("*")


def build(
    advice: Sequence[Advice],
    cat: AdviceCatalogue,
    facts: Mapping[str, HostFacts],
    configs: Mapping[str, SshdSettings],
) -> tuple[list[Advice], list[HostConfig]]:
    """The advice with per-item changes and snippets, and one merged block per host.

    An item's own snippet and changes show its own values (so its title, text and
    snippet agree); the host block merges every item, and says so where items differ.
    """
    return [_own(a, cat, facts, configs) for a in advice], blocks(advice, cat, facts, configs)


@dataclass(frozen=True, slots=True)
class Merger:
    """Merges some of a report's advice items into per-host blocks, with the report's
    catalogue, host facts and configured values: what ``--top`` shows is what the blocks
    hold."""

    cat: AdviceCatalogue
    facts: Mapping[str, HostFacts]
    configs: Mapping[str, SshdSettings]

    def __call__(self, advice: Sequence[Advice]) -> tuple[HostConfig, ...]:
        return tuple(blocks(advice, self.cat, self.facts, self.configs))


def blocks(
    advice: Sequence[Advice],
    cat: AdviceCatalogue,
    facts: Mapping[str, HostFacts],
    configs: Mapping[str, SshdSettings],
) -> list[HostConfig]:
    """One block per host that merges the settings of the given advice items."""
    per_host: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a in advice:
        for host, opt, value in a.settings:
            per_host[host].append((opt, value))
    out: list[HostConfig] = []
    for host in sorted(per_host):
        versions, settings = _context(host, facts, configs)
        lines = merge_host(per_host[host], cat.options, versions, settings)
        proposed: dict[str, list[str]] = defaultdict(list)
        for opt, value in per_host[host]:
            if value not in proposed[opt]:
                proposed[opt].append(value)
        srv: list[str] = []
        for ln in lines:
            if cat.options[ln.option].side != "server":
                continue
            if len(proposed[ln.option]) > 1 and ln.state == "set":
                others = ", ".join(proposed[ln.option])
                srv.append(
                    f"# {ln.option}: the items above propose {others}; {ln.value} covers all"
                )
            srv += server_lines(host, [ln], cat.options, versions)
        client = [ln for ln in lines if cat.options[ln.option].side == "client"]
        cli = client_lines(host, client, proposed)
        why = "; ".join(versions.reasons)
        described = versions.describe() + (f" ({why})" if why else "")
        systemd = next((a.systemd for a in advice if a.systemd and host in a.hosts), None)
        source = settings.source if settings and settings.source else None
        head = "\n".join(
            (
                # One sentence a line: folded to a narrow width, each still reads whole.
                f"# /etc/ssh/sshd_config on {host}, above any Match block.",
                "# Check it with `sshd -t`, then reload sshd.",
                "# Compared with "
                + (
                    f"{source}."
                    if source
                    else "OpenSSH's defaults (no --sshd-config for this host)."
                ),
            )
        )
        f = facts.get(host)
        out.append(
            HostConfig(
                host,
                described,
                "\n".join([head, *srv]) if srv else None,
                "\n".join(["# ~/.ssh/config on the clients", *cli]) if cli else None,
                systemd if f and f.systemd else None,
            )
        )
    return out


def _own(
    a: Advice,
    cat: AdviceCatalogue,
    facts: Mapping[str, HostFacts],
    configs: Mapping[str, SshdSettings],
) -> Advice:
    """One item's changes and snippet, from its own proposals."""
    changes: list[str] = []
    parts = []
    for host in a.hosts or (a.host,):
        mine = [(opt, value) for h, opt, value in a.settings if h == host]
        if not mine:
            continue
        versions, settings = _context(host, facts, configs)
        lines = merge_host(mine, cat.options, versions, settings)
        changes += [change_text(host, ln, cat.options[ln.option]) for ln in lines]
        server = [ln for ln in lines if cat.options[ln.option].side == "server"]
        srv = server_lines(host, server, cat.options, versions)
        cli = client_lines(host, [ln for ln in lines if cat.options[ln.option].side == "client"])
        if srv:
            parts.append("\n".join([f"# /etc/ssh/sshd_config on {host}", *srv]))
        if cli:
            parts.append("\n".join(["# ~/.ssh/config on the clients", *cli]))
    if a.command:
        parts.append(a.command)
    systemd = a.systemd if any((f := facts.get(h)) and f.systemd for h in a.hosts) else None
    if systemd:
        parts.append(systemd)
    return replace(
        a,
        changes=tuple(dict.fromkeys(c for c in changes if c)),
        snippet="\n\n".join(parts) or None,
        systemd=systemd,
    )
