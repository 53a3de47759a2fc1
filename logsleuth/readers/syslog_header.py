"""Parse one syslog line's framing: RFC 3164, rsyslog's RFC 3339 file format, RFC 5424.

Only the header is parsed here; the message body is left for the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

# host: no whitespace, brackets or colons, so a missing host name is recognised by the
# program token (which ends in ':' or '[pid]:'); program may be `sshd(pam_unix)`.
_TAIL = (r"(?:(?P<host>[^\s\[\]:]+)\s+)?"
         r"(?P<prog>[^\s\[\]:(]+(?:\([^)\s]*\))?)(?:\[(?P<pid>\d+)\])?:(?: |$)"
         r"(?:\[ID \d+ [\w.]+\] )?(?P<msg>.*)")
# "Jun 21 16:47:48", "Feb  7 ...", "Feb 7 ..."; optional BSD "<4.3>"/"<auth.info>" after it.
_RFC3164 = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d)"
    r"(?:\.\d+)?(?: (?P<year>\d{4}))? +(?:<[\w.]+> )?" + _TAIL)
# rsyslog RSYSLOG_FileFormat: 2026-11-21T19:19:12.358160+00:00; also "2020-03-23 06:47:42.8-0700".
_RFC3339 = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) +" + _TAIL)
# <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG (SD is "-" or [..][..]).
_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<prog>\S+) (?P<pid>\S+) \S+ "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$")


@dataclass(frozen=True, slots=True)
class Header:
    """The parsed framing of one line."""

    ts: datetime | None
    """UTC time; for yearless lines, computed with the year passed in."""
    host: str | None
    program: str
    pid: int | None
    message: str
    priority: int | None = None
    yearless: bool = False


def parse_iso(text: str) -> datetime | None:
    """An RFC 3339 time as UTC (a time without offset is taken as UTC)."""
    text = text.replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-3] != ":" and text[-8] != "-":
        text = text[:-2] + ":" + text[-2:]
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def local_to_utc(year: int, month: int, day: int, hms: str) -> datetime | None:
    """A local wall-clock time (syslog's yearless stamps are local) as UTC."""
    try:
        h, m, s = (int(x) for x in hms.split(":"))
        return datetime(year, month, day, h, m, s).astimezone(UTC)
    except ValueError:
        return None


def parse_line(line: str, year: int) -> Header | None:
    """Parse a line's header; None when it has no syslog framing we know."""
    if not line:
        return None
    first = line[0]
    if first.isdigit():
        m = _RFC3339.match(line)
        if m:
            pid = m.group("pid")
            return Header(parse_iso(m.group("ts")), m.group("host"), m.group("prog"),
                          int(pid) if pid else None, m.group("msg"))
        return None
    if first == "<":
        m = _RFC5424.match(line)
        if m:
            pid = m.group("pid")
            msg = m.group("msg") or ""
            # rsyslog keeps the legacy leading space of %msg%: strip exactly one.
            if msg.startswith(" "):
                msg = msg[1:]
            host = m.group("host")
            return Header(parse_iso(m.group("ts")), None if host == "-" else host,
                          m.group("prog"), int(pid) if pid.isdigit() else None, msg,
                          priority=int(m.group("pri")) & 7)
    m = _RFC3164.match(line)
    if m is None:
        return None
    month = MONTHS.get(m.group("mon"))
    if month is None:
        return None
    explicit = m.group("year")
    ts = local_to_utc(int(explicit) if explicit else year, month, int(m.group("day")),
                      m.group("time"))
    pid = m.group("pid")
    return Header(ts, m.group("host"), m.group("prog"), int(pid) if pid else None,
                  m.group("msg"), yearless=explicit is None)
