"""Scanning a capture directory in each log form and checking it against expectations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sshlab import eframe, journal
from sshlab.env import JOURNAL_REMOTE
from sshlab.expect import Expect

#: Server-side log forms: -E file (framed by the lab), RFC 3164 / RFC 3339 auth.log, journal.
FORMS = ("E", "3164", "3339", "journal")


class FormUnavailable(Exception):
    """This form cannot be checked here (the reason is the message)."""


def meta(cap: Path) -> dict[str, object]:
    """The capture's meta.json."""
    data: dict[str, object] = json.loads((cap / "meta.json").read_text())
    return data


def _year(cap: Path) -> int:
    first = (cap / "auth-3339.log").read_text().split(maxsplit=1)
    return int(first[0][:4]) if first else 2000


def scan_form(cap: Path, form: str, work: Path) -> object:
    """Scan one form of a capture with ``logsleuth.api.scan`` and return the Report."""
    from logsleuth.api import scan

    work.mkdir(parents=True, exist_ok=True)
    if form == "E":
        times = eframe.read_times(cap / "server-E.times")
        lines = eframe.frame(eframe.read_messages(cap / "server-E.log"), times)
        framed = work / "server-E.framed.log"
        framed.write_text("".join(f"{ln}\n" for ln in lines))
        return scan([str(framed)])
    if form in ("3164", "3339"):
        path = cap / f"auth-{form}.log"
        if not path.exists():
            raise FormUnavailable("no syslog capture (rsyslog could not serve /dev/log)")
        return scan([str(path)], year=_year(cap))
    if form == "journal":
        if not (cap / "sshd.export").exists():
            raise FormUnavailable("no syslog capture to build a journal from")
        if shutil.which(JOURNAL_REMOTE) is None:
            raise FormUnavailable("systemd-journal-remote is not installed")
        try:
            from logsleuth.readers import READERS
        except ImportError as exc:  # pragma: no cover - depends on the package state
            raise FormUnavailable(f"logsleuth readers unavailable: {exc}") from None
        if "journald" not in READERS:
            raise FormUnavailable("logsleuth has no journal reader yet")
        built = journal.build(cap / "sshd.export", work / "sshd.journal")
        return scan(journal_files=[str(built)])
    raise ValueError(form)


def scenario_connections(report: object, cap: Path, form: str) -> tuple[list, list]:
    """The scenario's (ssh connections, idle raw connections) in a report, by client address."""
    m = meta(cap)
    mode = "E" if form == "E" else "syslog"
    addrs = {m["client_addrs"][mode], *m.get("extra_addrs", {}).get(mode, [])}  # type: ignore[index,union-attr]
    raw = set(m["raw_ports"][mode])  # type: ignore[index]
    mine = [c for c in report.connections if c.client_ip in addrs]  # type: ignore[attr-defined]
    return [c for c in mine if c.client_port not in raw], [c for c in mine if c.client_port in raw]


def describe(conns: list) -> str:
    """One line per connection, for assertion messages."""
    return (
        "; ".join(
            f"{c.client_ip}:{c.client_port} {c.family} {c.cause} ({c.pattern_id})" for c in conns
        )
        or "no connections"
    )


def problems(exp: Expect, ssh: list, raw: list) -> list[str]:
    """What differs from the expectation (empty when all is as expected)."""
    out = []
    if exp.family is None:
        out += [f"unexpected ssh connection on port {c.client_port}" for c in ssh]
    elif not ssh:
        out.append("the scenario's ssh connection was not found")
    for c in ssh:
        if c.family != exp.family:
            out.append(f"port {c.client_port}: family {c.family}, expected {exp.family}")
        elif exp.cause_hint and exp.cause_hint not in (c.cause or ""):
            out.append(f"port {c.client_port}: cause {c.cause} lacks {exp.cause_hint!r}")
    if exp.raw_family is not None:
        if not raw:
            out.append("the idle raw connections were not found")
        out += [
            f"raw port {c.client_port}: family {c.family}, expected {exp.raw_family}"
            for c in raw
            if c.family != exp.raw_family
        ]
    return out
