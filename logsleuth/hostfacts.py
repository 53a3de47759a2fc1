"""What a host's own lines say about it: its OpenSSH version range, its init system,
sshd's own counts of dropped connections, and planned reboots.

Advice depends on these (an option sshd 9.2 does not know stops it from starting; a
systemd drop-in means nothing to a SysV host), so they are gathered while the lines
stream by, next to the sessionizer, and passed to the report as frozen values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logsleuth.catalogue import Catalogue
from logsleuth.model import Event, Evidence, PatternId, Record

Version = tuple[int, int]

_VERSION = re.compile(
    r"^(?:(?P<lo>\d+\.\d+)(?:(?P<plus>\+)|-(?P<hi>\d+\.\d+))|-(?P<only_hi>\d+\.\d+))"
    r"(?P<rest>.*)$"
)
#: Program names that only exist from one OpenSSH release on.
PROGRAM_SINCE: Mapping[str, Version] = {"sshd-session": (9, 8), "sshd-auth": (10, 0)}


def parse_version(text: str) -> Version:
    """``"9.8"`` -> ``(9, 8)``."""
    major, minor = text.split(".", 1)
    return int(major), int(minor)


def show_version(v: Version) -> str:
    """``(9, 8)`` -> ``"9.8"``."""
    return f"{v[0]}.{v[1]}"


def catalogue_range(versions: str) -> tuple[Version | None, Version | None]:
    """The release range a catalogue ``versions`` text states, as far as it is certain.

    ``"9.8+"`` -> (9.8, None); ``"8.4-9.9"`` -> (8.4, 9.9); ``"-7.9"`` -> (None, 7.9).
    An upper bound that some platform "kept" longer (``"-3.8 (FreeBSD kept it longer)"``)
    is dropped, and text that is not a range (``"all"``, ``"Linux-PAM"``) says nothing.
    """
    m = _VERSION.match(versions.strip())
    if not m:
        return None, None
    rest = m["rest"].strip()
    if rest and not rest.startswith("("):
        return None, None  # "8.5-9.7 on Linux ..., any on OpenBSD": not a plain range
    lo = parse_version(m["lo"]) if m["lo"] else None
    hi_text = m["hi"] or m["only_hi"]
    hi = parse_version(hi_text) if hi_text and "kept" not in rest else None
    return lo, hi


@dataclass(frozen=True, slots=True)
class VersionRange:
    """The OpenSSH releases a host can be running, from the forms of its log lines."""

    lo: Version | None = None
    hi: Version | None = None
    reasons: tuple[str, ...] = ()
    """Which line forms set the bounds (``sshd-session program => 9.8+``)."""

    @property
    def known(self) -> bool:
        """Whether any line narrowed the range."""
        return self.lo is not None or self.hi is not None

    def supports(self, since: Version | None) -> bool | None:
        """True when every release in the range has an option added in ``since``;
        False when none has; None when the range does not tell."""
        if since is None:
            return True
        if self.lo is not None and self.lo >= since:
            return True
        if self.hi is not None and self.hi < since:
            return False
        return None

    def contains(self, v: Version) -> bool:
        """Whether release ``v`` is possible for this host."""
        return (self.lo is None or self.lo <= v) and (self.hi is None or v <= self.hi)

    def describe(self) -> str:
        """``OpenSSH 9.8+``, ``OpenSSH 7.4-7.9``, ``OpenSSH up to 7.9``, or ``unknown``."""
        if self.lo and self.hi:
            return f"OpenSSH {show_version(self.lo)}-{show_version(self.hi)}"
        if self.lo:
            return f"OpenSSH {show_version(self.lo)}+"
        if self.hi:
            return f"OpenSSH up to {show_version(self.hi)}"
        return "OpenSSH version unknown"


@dataclass(frozen=True, slots=True)
class HostFacts:
    """What one host's lines say about the host itself."""

    host: str
    versions: VersionRange = field(default_factory=VersionRange)
    systemd: bool = False
    """systemd is evident: a journal source or lines of systemd programs."""
    drop_peak: int | None = None
    """The largest N of ``drop connection #N`` for MaxStartups (open unauthenticated
    connections at the moment sshd dropped one)."""
    drop_peak_at: datetime | None = None
    drop_peak_evidence: Evidence | None = None
    sshd_throttled: int = 0
    """Connections sshd says it dropped while throttling (8.4-9.9: logged ones included)."""
    sshd_unlogged: int = 0
    """Drops sshd did not log one by one (10.0+ ``logging rate-limited: additional N``)."""
    reboots: tuple[tuple[datetime, Evidence], ...] = ()
    """Planned reboots and boot markers, in time order."""

    def refused(self, logged: int) -> int:
        """MaxStartups refusals: the drops logged one by one (``logged``) or sshd's
        throttling total, whichever is larger, plus the drops it did not log."""
        return max(logged, self.sshd_throttled) + self.sshd_unlogged


@dataclass
class _Acc:
    lo: Version | None = None
    lo_why: str = ""
    hi: Version | None = None
    hi_why: str = ""
    systemd: bool = False
    peak: int | None = None
    peak_at: datetime | None = None
    peak_ev: Evidence | None = None
    throttled: int = 0
    unlogged: int = 0
    running: int = 0
    reboots: list[tuple[datetime, Evidence]] = field(default_factory=list)

    def bound(self, lo: Version | None, hi: Version | None, why: str) -> None:
        if lo is not None and (self.lo is None or lo > self.lo):
            self.lo, self.lo_why = lo, why
        if hi is not None and (self.hi is None or hi < self.hi):
            self.hi, self.hi_why = hi, why


def _evidence(r: Record) -> Evidence:
    return Evidence(r.source, r.line, r.cited)


_Entry = tuple[Version | None, Version | None, str, tuple[str, str | None] | None]
"""An entry's lower and upper version bounds, why, and its counter rule."""


@dataclass(frozen=True, slots=True)
class FactRules:
    """The data that drives the collector (from ``patterns/advice.toml``)."""

    counters: Mapping[str, tuple[str, str | None]]
    """catalogue entry name -> (``peak`` | ``sum`` | ``running`` | ``running-end``,
    required ``reason`` field value or None)."""
    reboot_messages: tuple[str, ...]
    """Message prefixes of a planned reboot or shutdown (logind, init)."""
    reboot_programs: tuple[str, ...]
    """Programs that log those messages."""


class FactCollector:
    """Fed every record and every classified ssh event; returns facts per host."""

    def __init__(self, cat: Catalogue | None, rules: FactRules) -> None:
        """``cat``: the catalogue the events were classified with; None for a collector
        that only restores stored facts (``restore_state`` then ``facts``)."""
        self._ranges = {p.id: catalogue_range(p.versions) for p in cat or ()}
        self._names = {p.id: p.name for p in cat or ()}
        self._rules = rules
        self._hosts: dict[str, _Acc] = {}
        self._entries: dict[PatternId, _Entry] = {}

    def _acc(self, host: str | None) -> _Acc:
        key = host or "-"
        acc = self._hosts.get(key)
        if acc is None:
            acc = self._hosts[key] = _Acc()
        return acc

    def source(self, host: str | None, reader: str) -> None:
        """A whole source: a journal means systemd."""
        if reader.startswith("journal"):
            self._acc(host).systemd = True

    def record(self, rec: Record) -> None:
        """A record of a non-ssh program (init system, logind, boot markers)."""
        prog = rec.program
        if prog == "-- boot --" and rec.ts is not None:
            acc = self._acc(rec.host)
            acc.systemd = True
            acc.reboots.append((rec.ts, _evidence(rec)))
        elif prog.startswith("systemd"):
            acc = self._acc(rec.host)
            acc.systemd = True
            if (
                rec.ts is not None
                and prog in self._rules.reboot_programs
                and rec.message.startswith(self._rules.reboot_messages)
            ):
                acc.reboots.append((rec.ts, _evidence(rec)))
        elif (
            prog in self._rules.reboot_programs
            and rec.ts is not None
            and rec.message.startswith(self._rules.reboot_messages)
        ):
            self._acc(rec.host).reboots.append((rec.ts, _evidence(rec)))

    def _entry(self, pattern_id: PatternId) -> _Entry:
        """What an entry's lines tell: its version bounds (and why), its counter rule."""
        lo, hi = self._ranges.get(pattern_id, (None, None))
        why = f"`{self._names.get(pattern_id, pattern_id)}` lines"
        entry = self._entries[pattern_id] = (
            lo,
            hi,
            why,
            self._rules.counters.get(self._names.get(pattern_id, "")),
        )
        return entry

    def event(self, ev: Event) -> None:
        """A classified ssh event: its wording bounds the version, counters add up."""
        rec = ev.record
        acc = self._hosts.get(rec.host or "-") or self._acc(rec.host)
        since = PROGRAM_SINCE.get(rec.program)
        if since and (acc.lo is None or since > acc.lo):
            acc.bound(since, None, f"the {rec.program} program")
        pattern_id = ev.pattern_id
        if pattern_id is None:
            return
        lo, hi, why, rule = self._entries.get(pattern_id) or self._entry(pattern_id)
        # Only a tighter bound changes anything (``_Acc.bound``).
        if (lo is not None and (acc.lo is None or lo > acc.lo)) or (
            hi is not None and (acc.hi is None or hi < acc.hi)
        ):
            acc.bound(lo, hi, why)
        count = ev.fields.get("count") if rule is not None else None
        if rule is None or count is None or not count.isdigit():
            return
        kind, reason = rule
        if reason is not None and ev.fields.get("reason") != reason:
            return
        n = int(count) * rec.repeat
        if kind == "peak":
            if acc.peak is None or int(count) > acc.peak:
                acc.peak, acc.peak_at, acc.peak_ev = int(count), rec.ts, _evidence(rec)
        elif kind == "sum":
            acc.unlogged += n
        elif kind == "running":
            acc.running = int(count)
        elif kind == "running-end":
            acc.throttled += int(count)
            acc.running = 0

    # -- state kept between incremental runs -------------------------------------------
    def export_state(self) -> bytes:
        """What was gathered so far, as JSON: the next run of an incremental ingest
        continues from it, so a stored report knows what a scan of everything knows."""
        hosts = {host: _acc_to_json(acc) for host, acc in self._hosts.items()}
        return json.dumps({"version": 1, "hosts": hosts}, sort_keys=True).encode()

    def restore_state(self, data: bytes) -> None:
        """Continue from ``export_state``'s output (state of another format is ignored:
        the facts are then gathered from the new lines only)."""
        try:
            doc = json.loads(data)
        except ValueError:
            return
        if not isinstance(doc, dict) or doc.get("version") != 1:
            return
        for host, item in doc.get("hosts", {}).items():
            self._hosts[host] = _acc_from_json(item)

    def facts(self) -> dict[str, HostFacts]:
        """Everything gathered, per host."""
        out = {}
        for host, a in self._hosts.items():
            lo, hi = a.lo, a.hi
            reasons = tuple(
                r
                for r in (
                    f"{a.lo_why} => {show_version(lo)}+" if lo else "",
                    f"{a.hi_why} => up to {show_version(hi)}" if hi else "",
                )
                if r
            )
            if lo is not None and hi is not None and lo > hi:
                # Old and new wordings in one log: the host was upgraded; the newest wins.
                hi = None
                reasons = (*reasons, "both old and new wordings: upgraded during the log")
            out[host] = HostFacts(
                host,
                VersionRange(lo, hi, reasons),
                a.systemd,
                a.peak,
                a.peak_at,
                a.peak_ev,
                a.throttled + a.running,
                a.unlogged,
                tuple(sorted(a.reboots, key=lambda t: t[0])),
            )
        return out


def _version_json(v: Version | None) -> list[int] | None:
    return list(v) if v is not None else None


def _version_of(v: Any) -> Version | None:
    return (int(v[0]), int(v[1])) if v else None


def _ev_json(e: Evidence | None) -> list[object] | None:
    return [e.source, e.line, e.text] if e is not None else None


def _ev_of(v: Any) -> Evidence | None:
    return Evidence(str(v[0]), int(v[1]), str(v[2])) if v else None


def _acc_to_json(a: _Acc) -> dict[str, object]:
    return {
        "lo": _version_json(a.lo),
        "lo_why": a.lo_why,
        "hi": _version_json(a.hi),
        "hi_why": a.hi_why,
        "systemd": a.systemd,
        "peak": a.peak,
        "peak_at": a.peak_at.isoformat() if a.peak_at else None,
        "peak_ev": _ev_json(a.peak_ev),
        "throttled": a.throttled,
        "unlogged": a.unlogged,
        "running": a.running,
        "reboots": [[ts.isoformat(), _ev_json(ev)] for ts, ev in a.reboots],
    }


def _acc_from_json(d: Any) -> _Acc:
    return _Acc(
        lo=_version_of(d.get("lo")),
        lo_why=str(d.get("lo_why", "")),
        hi=_version_of(d.get("hi")),
        hi_why=str(d.get("hi_why", "")),
        systemd=bool(d.get("systemd")),
        peak=d.get("peak"),
        peak_at=datetime.fromisoformat(d["peak_at"]) if d.get("peak_at") else None,
        peak_ev=_ev_of(d.get("peak_ev")),
        throttled=int(d.get("throttled", 0)),
        unlogged=int(d.get("unlogged", 0)),
        running=int(d.get("running", 0)),
        reboots=[
            (datetime.fromisoformat(ts), ev)
            for ts, raw in d.get("reboots", [])
            if (ev := _ev_of(raw)) is not None
        ],
    )
