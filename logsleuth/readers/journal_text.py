"""journalctl's text output, and ``systemctl status`` output, as saved or pasted by people.

What this reader knows beyond the syslog framing of the entry lines (``short``,
``short-precise``, ``short-iso``, ``short-iso-precise``):

- the header ``-- Journal begins at Sat 2021-05-08 00:49:10 CEST, ends at ... --`` (older
  systemd: ``-- Logs begin at ..., end at ... --``): its zone is the zone of the entry
  times, its end time bounds their year;
- boot markers ``-- Boot 2c4d... --`` (older: ``-- Reboot --``), emitted as a record with
  program :data:`BOOT_PROGRAM` carrying the time and host of the next entry;
- ``-- No entries --``;
- the catalog text of ``journalctl -x`` between entries (``-- Subject: ...``,
  ``-- Defined-By: ...``; systemd 246 and later write ``░░`` instead of ``--``), also when
  a paste starts inside such a block;
- ``systemctl status`` output: a unit header (``● ssh.service - ...``, ``Loaded:``,
  ``Active: active (running) since Mon 2021-05-10 09:00:00 CEST; 2 days ago``, ...) and
  then journal lines; the ``Active:`` time gives the zone and, with its "ago", the year;
- shell prompt lines before any of these (``root@h:~# journalctl -u ssh``).

Lines that are none of these and have no syslog header are kept as lines without a
program, like the syslog reader does.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from logsleuth.errors import SourceError
from logsleuth.model import Record
from logsleuth.readers.base import BOOT_PROGRAM, ReadOptions
from logsleuth.readers.syslog import (
    YearGuess,
    iter_lines,
    last_stamped_line,
    read_head,
    read_syslog_lines,
    reference_time,
)

__all__ = ["BOOT_PROGRAM", "JournalTextReader", "zone_of"]

_STAMP = r"\w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([A-Za-z0-9+-]+)"
_HEADER = re.compile(
    r"-- (?:Journal begins|Logs begin) at " + _STAMP + r", (?:ends|end) at " + _STAMP + r"\. --"
)
_BOOT = re.compile(r"-- (?:Boot [0-9a-f]{32}|Reboot) --")
_NO_ENTRIES = "-- No entries --"
_CATALOG_KEY = re.compile(r"(?:░░|--) (?:Subject|Defined-By|Support|Documentation|Unit|Job):")
_UNIT_LINE = re.compile(r"[●○×*↻] \S+\.(?:service|socket)\b")
_LOADED = re.compile(r" +Loaded: ")
_ACTIVE = re.compile(r" +Active: .*? since " + _STAMP + r"(?:; (?P<ago>.+) ago)?")
_AGO_PART = re.compile(r"(\d+)\s*([a-z]+)")
_Y, _D = 365.25 * 86400, 86400
_AGO_UNIT = {
    **dict.fromkeys(("y", "year", "years"), _Y),
    **dict.fromkeys(("month", "months"), _Y / 12),
    **dict.fromkeys(("w", "week", "weeks"), 7 * _D),
    **dict.fromkeys(("d", "day", "days"), _D),
    "h": 3600,
    "min": 60,
    "s": 1,
    "ms": 0.001,
    "us": 0.000001,
}
_DAY = timedelta(days=1)

# Zone abbreviations journalctl and systemctl print, and the zones that print them. A
# candidate is taken only when it prints the same abbreviation at the times of the
# header; ``--tz`` and this machine's zone are tried first, so they settle ambiguous
# ones (CST, IST).
_ZONES: dict[str, tuple[str, ...]] = {
    "UTC": ("UTC",),
    "GMT": ("UTC", "Europe/London"),
    "BST": ("Europe/London",),
    "IST": ("Europe/Dublin", "Asia/Kolkata", "Asia/Jerusalem"),
    "WET": ("Europe/Lisbon",),
    "WEST": ("Europe/Lisbon",),
    "CET": ("Europe/Berlin",),
    "CEST": ("Europe/Berlin",),
    "EET": ("Europe/Athens",),
    "EEST": ("Europe/Athens",),
    "MSK": ("Europe/Moscow",),
    "EST": ("America/New_York",),
    "EDT": ("America/New_York",),
    "CST": ("America/Chicago", "Asia/Shanghai"),
    "CDT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix"),
    "MDT": ("America/Denver",),
    "PST": ("America/Los_Angeles",),
    "PDT": ("America/Los_Angeles",),
    "AKST": ("America/Anchorage",),
    "AKDT": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "HKT": ("Asia/Hong_Kong",),
    "AEST": ("Australia/Sydney",),
    "AEDT": ("Australia/Sydney",),
    "ACST": ("Australia/Adelaide",),
    "ACDT": ("Australia/Adelaide",),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "SAST": ("Africa/Johannesburg",),
    "WIB": ("Asia/Jakarta",),
    "PKT": ("Asia/Karachi",),
}
_NUMERIC_ZONE = re.compile(r"([+-])(\d\d)(\d\d)?")


def zone_of(
    abbrevs: list[tuple[str, str]], given: tzinfo | None = None
) -> tuple[bool, tzinfo | None]:
    """(found, zone): the zone that prints these ``(local time, abbreviation)`` pairs.

    ``given`` (``--tz``) is tried first, then this machine's zone (returned as None),
    then the zones known to use the abbreviation. When none fits, found is False and the
    caller keeps ``given`` or the local zone.
    """
    stamps = [(datetime.fromisoformat(t), a) for t, a in abbrevs]
    if not stamps:
        return False, None

    def fits(zone: tzinfo | None) -> bool:
        for naive, abbrev in stamps:
            aware = naive.astimezone() if zone is None else naive.replace(tzinfo=zone)
            if aware.tzname() != abbrev:
                return False
        return True

    if given is not None and fits(given):
        return True, given
    if fits(None):
        return True, None
    first = stamps[0][1]
    m = _NUMERIC_ZONE.fullmatch(first)
    if m and all(a == first for _, a in stamps):
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return True, timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
    for name in _ZONES.get(first, ()):
        try:
            zone = ZoneInfo(name)
        except (KeyError, ValueError, OSError):  # no tz database here
            continue
        if fits(zone):
            return True, zone
    return False, None


def _ago(text: str) -> timedelta | None:
    """systemd's relative time ("2 days 3h", "1 year 2 months") as a span; None if not one."""
    parts = _AGO_PART.findall(text)
    if not parts or any(unit not in _AGO_UNIT for _, unit in parts):
        return None
    return timedelta(seconds=sum(int(n) * _AGO_UNIT[unit] for n, unit in parts))


def _head_lines(head: bytes, limit: int = 200) -> list[str]:
    lines = head.split(b"\n")[:limit]
    return [raw.decode("utf-8", "replace").rstrip("\r") for raw in lines]


class JournalTextReader:
    """Reads ``journalctl`` text output and ``systemctl status`` output."""

    name = "journalctl"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when the head has a journalctl header, boot marker, catalog line or unit header."""
        lines = _head_lines(head, 60)
        for i, text in enumerate(lines):
            if _HEADER.match(text) or _BOOT.fullmatch(text) or text == _NO_ENTRIES:
                return True
            if _CATALOG_KEY.match(text) or text.startswith("░░"):
                return True
            if _UNIT_LINE.match(text) and any(_LOADED.match(t) for t in lines[i + 1 : i + 4]):
                return True
        return False

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield every line as a record; boot markers get the next entry's time and host."""
        head = _peek(path)
        opts, guess = self._context(path, head, options)
        held: list[Record] = []
        host: str | None = None
        for rec in read_syslog_lines(iter_lines(path), path, opts, guess):
            if rec.program == "":
                text = rec.message
                if _BOOT.fullmatch(text):
                    held.append(replace(rec, program=BOOT_PROGRAM))
                    continue
                yield rec
                continue
            if held:
                for marker in held:
                    yield replace(marker, ts=rec.ts, host=rec.host)
                held.clear()
            host = rec.host
            yield rec
        for marker in held:  # a marker after the last entry: the boot's time is unknown
            yield replace(marker, host=host)

    @staticmethod
    def _context(path: str, head: bytes, options: ReadOptions) -> tuple[ReadOptions, YearGuess]:
        """The zone and year rules the header (or the unit's Active: line) gives."""
        stamps: list[tuple[str, str]] = []
        end: datetime | None = None
        for text in _head_lines(head):
            m = _HEADER.match(text)
            if m:
                stamps = [(m.group(1), m.group(2)), (m.group(3), m.group(4))]
                break
            m = _ACTIVE.match(text)
            if m:
                stamps = [(m.group(1), m.group(2))]
                ago = _ago(m.group("ago") or "")
                if ago is not None:
                    end = datetime.fromisoformat(m.group(1)) + ago
                break
        found, zone = zone_of(stamps, options.tz)
        if found:
            options = replace(options, tz=zone)
        if options.year is not None:
            return options, YearGuess(options.year)
        if stamps:
            last = datetime.fromisoformat(stamps[-1][0]) if end is None else end
            limit = last.replace(tzinfo=UTC) + _DAY  # zone slack: a day either way
            return options, YearGuess(last.year, limit, last_stamped_line(path))
        ref = reference_time(path)
        return options, YearGuess(
            ref.astimezone(options.tz).year, ref + _DAY, last_stamped_line(path)
        )


def _peek(path: str) -> bytes:
    """The start of the source without consuming it (standard input is peeked)."""
    if path != "-":
        try:
            return read_head(path, 1 << 16)
        except SourceError:
            return b""  # reading the source itself reports the problem
    buffer = getattr(sys.stdin, "buffer", None)
    peek = getattr(buffer, "peek", None)
    return peek(1 << 16)[: 1 << 16] if peek is not None else b""
