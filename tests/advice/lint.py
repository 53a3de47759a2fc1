"""The advice lint: what must hold for every advice item of every report.

``tests/conftest.py`` runs it on every report the test suite builds (samples, corpora,
synthetic logs, lab captures); ``tests/advice/test_lint.py`` has one firing case and one
near case per check.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from logsleuth.advice import PLACEHOLDER, advice_catalogue
from logsleuth.hostfacts import parse_version
from logsleuth.model import Advice, Report

_UNFILLED = re.compile(r"\{[a-z_]+\}|(?<![\w<])\?(?![\w>])")
_DOC = re.compile(r"\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d+|\b2001:db8:[0-9a-f:]*", re.I)
_NUMBER = re.compile(r"\b\d+(?:m\d\ds|h\d\dm|d\d\dh|s)?\b")
_DROP = re.compile(r"drop connection #(\d+)")
_HUMAN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def seconds(text: str) -> int:
    """A duration as the report prints it (``45s``, ``15m02s``, ``4h00m``) in seconds."""
    m = _HUMAN.fullmatch(text)
    assert m and text, f"not a human duration: {text!r}"
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


_MAXSTARTUPS = re.compile(r"from (\d+):\d+:\d+.* to (\d+):\d+:\d+")
_OLD_DURATION = re.compile(r"\b\d+ (?:min|h)\b|\b\d+ min \d+ s\b")


def sshd_sections(snippet: str | None) -> Iterator[tuple[str, list[str]]]:
    """(host, lines) of each sshd_config section of a snippet or block."""
    host, lines = None, []
    for line in (snippet or "").splitlines() + [""]:
        m = re.match(r"# /etc/ssh/sshd_config on (\S+?),?(?: |$)", line)
        if m:
            host, lines = m.group(1), []
        elif not line.strip() and host:
            yield host, lines
            host = None
        elif host:
            lines.append(line)


def _active(lines: list[str]) -> list[tuple[str, str]]:
    out = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.strip().partition(" ")
            out.append((key, value))
    return out


def lint_item(a: Advice, facts: Mapping[str, Any]) -> list[str]:
    """Problems of one advice item."""
    out = []
    where = f"advice {a.id} [{a.host}]"
    for name, text in (("title", a.title), ("text", a.text)):
        if _UNFILLED.search(text):
            out.append(f"{where}: unfilled value in the {name}: {text!r}")
        if _OLD_DURATION.search(text):
            out.append(f"{where}: a duration not in human form in the {name}: {text!r}")
    if re.search(r"\b0 times\b", a.text + a.title):
        out.append(f"{where}: zero attempts over connections that failed")
    # One number everywhere: each number of the title is in the text or the snippet.
    body = " ".join((a.text, a.snippet or "", *a.because, *a.changes))
    out += [
        f"{where}: {n} in the title is nowhere in the text or the snippet"
        for n in _NUMBER.findall(a.title)
        if n not in body
    ]
    # sshd's own count: no MaxStartups start at or below what it reported or was set.
    m = _MAXSTARTUPS.search(a.title)
    if a.id == "maxstartups":
        if not m:
            out.append(f"{where}: MaxStartups title without 'from X to Y'")
        else:
            start = int(m.group(2))
            drops = [int(d) for e in a.evidence for d in _DROP.findall(e.text)]
            if start <= int(m.group(1)) or start <= 10 or any(start <= d for d in drops):
                out.append(f"{where}: MaxStartups {start} is not above {drops} / the current")
    if a.id == "path-idle-limit":
        k = re.search(r"every (\S+) to", a.title)
        lim = re.search(r"about (\S+)$", a.title)
        if not (k and lim):
            out.append(f"{where}: keepalive title without 'every X to' and 'about Y'")
        elif seconds(k.group(1)) >= seconds(lim.group(1)):
            out.append(f"{where}: keepalive {k.group(1)} is not below the idle limit")
    out += lint_config(where, a.snippet, facts)
    if a.systemd and not any(facts.get(h, {}).get("systemd") for h in a.hosts):
        out.append(f"{where}: a systemd drop-in for a host without systemd")
    if (
        a.id in ("server-shutdown", "server-shutdown-init")
        and "reboot" in " ".join(e.text for e in a.evidence).lower()
    ):
        out.append(f"{where}: sshd-stop advice for a reboot")
    for line in (a.snippet or "").splitlines():
        if line.startswith("ignoreip"):
            for tok in line.split()[2:]:
                try:
                    net = ipaddress.ip_network(tok, strict=False)
                except ValueError:
                    continue
                if not (net.is_loopback or net.is_private) or _DOC.search(tok):
                    out.append(f"{where}: a ban-list exemption for a public address {tok}")
    return out


def lint_config(where: str, snippet: str | None, facts: Mapping[str, Any]) -> list[str]:
    """Problems of sshd_config text: placeholders, addresses, versions, weaker values."""
    out = []
    options = advice_catalogue().options
    for host, lines in sshd_sections(snippet):
        lo = facts.get(host, {}).get("version_min")
        for key, value in _active(lines):
            if PLACEHOLDER.search(value) or _DOC.search(value):
                out.append(f"{where}: {host}: {key} {value} is a placeholder sshd accepts")
            spec = options.get(key)
            if spec and spec.since and (lo is None or parse_version(lo) < spec.since):
                out.append(f"{where}: {host}: {key} needs {spec.since}, host is {lo or '?'}+")
        for prev, line in zip(lines, lines[1:], strict=False):
            m = re.match(r"# (\w+): was (\S+)$", prev)
            if not m or line.startswith("#"):
                continue
            key, was = m.groups()
            now = line.split(" ", 1)[1]
            spec = options.get(key)
            if spec and spec.merge in ("min", "max") and was.split(":")[0].isdigit():
                a, b = int(was.split(":")[0]), int(now.split(":")[0])
                if (spec.merge == "min" and a != 0 and b >= a) or (spec.merge == "max" and b <= a):
                    out.append(
                        f"{where}: {host}: {key} {was} -> {now} is not a change for the better"
                    )
    return out


def facts_of(report: Report) -> dict[str, dict[str, Any]]:
    """The report's host facts as plain mappings (what the checks read)."""
    return {
        f.host: {"version_min": f.version_min, "version_max": f.version_max, "systemd": f.systemd}
        for f in report.host_facts
    }


def lint(report: Report) -> list[str]:
    """Every problem of every advice item and configuration block of a report."""
    facts = facts_of(report)
    out: list[str] = []
    for a in report.advice:
        out += lint_item(a, facts)
    for b in report.config:
        out += lint_config(f"config {b.host}", b.sshd_config, facts)
        if b.systemd and not facts.get(b.host, {}).get("systemd"):
            out.append(f"config {b.host}: a systemd drop-in for a host without systemd")
    return out
