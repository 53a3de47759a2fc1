"""Parse the framing of one syslog line; the message body is left for the catalogue.

Header shapes recognised (dispatched on the first character, so each line is tried
against one expression only):

- RFC 3164 / BSD: ``Feb  7 16:01:07 host sshd[5106]: msg`` (one- or two-space day,
  optional host, optional pid, optional year after the time, optional ``<4.3>`` or
  ``<auth.info>`` priority after the time, optional ``auth.info`` facility before the
  program, Solaris ``[ID 800047 auth.info]`` tag before the message).
- rsyslog's RFC 3339 file format (Debian 12): ``2026-11-21T20:02:26.012528+00:00 vm
  sshd[1]: msg``; also macOS ``log show`` style ``2020-03-23 06:47:42.801612-0700  host``.
- RFC 5424: ``<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - [sd] msg``.
- Any of the above behind a leading ``<PRI>``.

Times are returned as timezone-aware UTC. Times without an offset (RFC 3164, offsetless
RFC 3339) are local wall-clock times of the machine that wrote them, converted with the
local zone of the machine reading them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from logsleuth.limits import MAX_PID, MAX_TIME, MIN_TIME, bounded_int

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# After the time stamp. A host has no whitespace, brackets or colons, so a missing host
# is recognised by the program token, which must end in ':' or '[pid]' (the colon after
# '[pid]' is optional: some relays drop it). Program may be `sshd(pam_unix)`.
_TAIL = (
    r"(?:<(?P<bsd>[\w.]{1,16})> +)?"  # FreeBSD syslogd -v/-vv: <4.3> or <auth.info>
    r"(?:(?P<host>[^\s\[\]:]+) +|\[(?P<bhost>[^\s\[\]]+)\] +)?"  # `[myhost]`: a redacted paste
    r"(?:[a-z]{2,8}\.[a-z]{3,7} )?"  # busybox-style facility.level before the program
    r"(?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d*)\]:?|:)(?: +|$)"
    r"(?:\[ID \d+ [\w.]+\] )?"  # Solaris message id
    r"(?P<msg>.*)"
)
_RFC3164 = re.compile(
    r"(?P<stamp>(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) \d\d:\d\d:\d\d)"
    r"(?P<frac>\.\d{1,9})?(?: (?P<year>\d{4}))? +" + _TAIL,
    re.DOTALL,
)
_RFC3339 = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d(?::?\d\d)?)?) +" + _TAIL,
    re.DOTALL,
)
# <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]; SD is "-" or one or more [..] elements.
_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<prog>\S+) (?P<pid>\S+) \S+ "
    r"(?P<sd>-|(?:\[(?:[^\]\\\"]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (?P<msg>.*))?",
    re.DOTALL,
)
_PRI = re.compile(r"<\d{1,3}>")
# The everyday shapes (`Mmm dd HH:MM:SS host prog[pid]: msg` and its RFC 3339 twin) first
# through a simpler expression: about a third cheaper than the general ones above.
# Like the general ones, they take every space after the tag off the message.
_FAST3164 = re.compile(
    r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) ([^\s\[\]:<]+) ([^\s\[:]+)\[(\d+)\]: +(.*)",
    re.DOTALL,
)
_FAST3339 = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))"
    r" ([^\s\[\]:<]+) ([^\s\[:]+)\[(\d+)\]: +(.*)",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Header:
    """The parsed framing of one line."""

    ts: datetime | None
    """UTC time; for yearless lines, computed with the year passed in."""
    host: str | None
    """Host name; None when the line has none."""
    program: str
    """Program (syslog tag) such as ``sshd``, ``sshd-session`` or ``sshd(pam_unix)``."""
    pid: int | None
    """Process id when the line has one."""
    message: str
    """Everything after the header."""
    priority: int | None = None
    """Severity (0-7) when the line carries a numeric priority."""
    yearless: bool = False
    """True when the time stamp had no year (the caller's year was used)."""
    stamp: str | None = None
    """The time stamp as written (``Nov 30 03:10:02``, ``2026-11-30T03:10:02+01:00``)."""


_SECONDS = tuple(timedelta(seconds=i) for i in range(61))  # 60: a leap second


class LocalClock:
    """Converts wall-clock times of one zone to UTC, caching the zone offset per minute.

    The zone is this machine's local zone, or ``zone`` when given (``--tz``, or the zone
    a journalctl header names). Zone transitions happen on minute boundaries, so one
    offset computation per distinct minute is exact and far cheaper than one per line.
    For the local zone the cache is dropped when the process's zone changes
    (``time.tzset``).
    """

    def __init__(self, zone: tzinfo | None = None) -> None:
        self._offsets: dict[tuple[int, int, int, int, int], timedelta] = {}
        self._minutes: dict[tuple[int, str], datetime | None] = {}
        self._zone: object = None
        self.zone = zone
        """The fixed zone of the times, or None for this machine's local zone."""
        if zone is not None:
            self._zone = time.tzname  # a fixed zone never needs the tzset reset

    def stamp(self, year: int, stamp: str) -> datetime | None:
        """UTC of an RFC 3164 ``Mmm dd HH:MM:SS`` stamp in ``year``.

        The UTC start of each minute is cached, so a line costs a lookup and an addition.
        """
        if self._zone is not time.tzname and self.zone is None:
            self._reset()
        key = (year, stamp[:-3])
        try:
            base = self._minutes[key]
        except KeyError:
            base = None
            month = MONTHS.get(stamp[:3])
            if month is not None:
                hm = stamp[-8:-3]
                base = self.to_utc(year, month, int(stamp[4:-9]), int(hm[:2]), int(hm[3:]), 0)
            if len(self._minutes) > 100_000:
                self._minutes.clear()
            self._minutes[key] = base
        second = int(stamp[-2:])
        if base is None or second > 60:  # 60: a leap second; "06:25:82" is no time
            return None
        return base + _SECONDS[second]

    def _reset(self) -> None:
        self._offsets.clear()
        self._minutes.clear()
        self._zone = time.tzname

    def to_utc(
        self, year: int, month: int, day: int, hour: int, minute: int, second: int, us: int = 0
    ) -> datetime | None:
        """The UTC instant of a local time; None when the date does not exist."""
        if self._zone is not time.tzname and self.zone is None:
            self._reset()
        key = (year, month, day, hour, minute)
        offset = self._offsets.get(key)
        try:
            if offset is None:
                naive = datetime(year, month, day, hour, minute)
                if self.zone is None:
                    offset = naive - naive.astimezone(UTC).replace(tzinfo=None)
                else:
                    offset = naive.replace(tzinfo=self.zone).utcoffset() or timedelta(0)
                if len(self._offsets) > 100_000:
                    self._offsets.clear()
                self._offsets[key] = offset
            return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC) - offset
        except (ValueError, OverflowError):
            return None


CLOCK = LocalClock()


def parse_iso(text: str, clock: LocalClock = CLOCK) -> datetime | None:
    """An RFC 3339 / ISO 8601 time as UTC; a time without an offset is taken as local."""
    try:
        ts = datetime.fromisoformat(text)
        if ts.tzinfo is None:
            return clock.to_utc(
                ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second, ts.microsecond
            )
        return ts.astimezone(UTC)
    except (ValueError, OverflowError):  # year 9999 with a negative offset overflows
        return None


def local_to_utc(
    year: int, month: int, day: int, hms: str, frac: str | None = None, clock: LocalClock = CLOCK
) -> datetime | None:
    """A local ``HH:MM:SS`` (optionally with a ``.fraction``) on a date, as UTC."""
    us = int((frac[1:] + "00000")[:6]) if frac else 0
    return clock.to_utc(year, month, day, int(hms[0:2]), int(hms[3:5]), int(hms[6:8]), us)


# A parsed line as a plain tuple: (ts, host, program, pid, message, priority, yearless,
# stamp as written). The reader uses this form directly; building a Header per line would
# double the cost.
Fields = tuple[datetime | None, str | None, str, int | None, str, int | None, bool, str | None]


def _pid(text: str | None, flaws: list[str] | None) -> int | None:
    """A header's pid; None (and a flaw noted) when it is out of range."""
    if not text:
        return None
    pid = bounded_int(text, MAX_PID)
    if pid is None and flaws is not None:
        flaws.append("pid")
    return pid


def _in_range(f: Fields, flaws: list[str] | None) -> Fields:
    """``f`` with a time outside MIN_TIME..MAX_TIME dropped (and a flaw noted)."""
    ts = f[0]
    if ts is None or MIN_TIME <= ts < MAX_TIME:
        return f
    if flaws is not None:
        flaws.append("time")
    return (None, f[1], f[2], f[3], f[4], f[5], f[6], f[7])


def parse_fields(
    line: str,
    year: int,
    clock: LocalClock = CLOCK,
    flaws: list[str] | None = None,
    plain: bool = False,
) -> Fields | None:
    """Parse a line's header into a :data:`Fields` tuple; None when it has no framing.

    A pid or time out of range is left out; its name is appended to ``flaws`` if given.
    ``plain``: skip the shortcuts for the everyday shapes (the same result, slower).
    """
    if not line:
        return None
    first = line[0]
    if plain:
        pass
    elif "A" <= first <= "Z":
        f = _FAST3164.match(line)
        if f is not None and line[:3] in MONTHS and not f.group(5).startswith("[ID "):
            stamp, host, prog, pid, msg = f.groups()
            fields: Fields = (
                clock.stamp(year, stamp),
                host,
                prog,
                _pid(pid, flaws),
                msg,
                None,
                True,
                stamp,
            )
            return _in_range(fields, flaws)
    elif "0" <= first <= "9":
        f = _FAST3339.match(line)
        if f is not None:
            iso, host, prog, pid, msg = f.groups()
            try:
                ts: datetime | None = datetime.fromisoformat(iso).astimezone(UTC)
            except (ValueError, OverflowError):
                ts = None
                if flaws is not None:
                    flaws.append("time")
            return _in_range((ts, host, prog, _pid(pid, flaws), msg, None, False, iso), flaws)
    priority: int | None = None
    if first == "<":
        if line.startswith("1 ", line.find(">") + 1):
            m = _RFC5424.match(line)
            if m is not None:
                return _in_range(_fields_5424(m, clock, flaws), flaws)
        p = _PRI.match(line)
        if p is None:
            return None
        priority = int(line[1 : p.end() - 1]) & 7
        line = line[p.end() :]
        if not line:
            return None
        first = line[0]
    if "A" <= first <= "Z" and line[:3] in MONTHS:
        m = _RFC3164.match(line)
        if m is None:
            return None
        stamp, _, _, frac, explicit, bsd, host, bhost, prog, pid, msg = m.groups()
        ts = clock.stamp(year, stamp) if explicit is None else clock.stamp(int(explicit), stamp)
        if frac is not None and ts is not None:
            ts = ts.replace(microsecond=int((frac[1:] + "00000")[:6]))
        yearless = explicit is None
        written = line[m.start(1) : max(m.end(1), m.end(4), m.end(5))]  # with .frac and year
    elif "0" <= first <= "9":
        m = _RFC3339.match(line)
        if m is None:
            return None
        iso, bsd, host, bhost, prog, pid, msg = m.groups()
        ts = parse_iso(iso, clock)
        yearless = False
        written = iso
    else:
        return None
    if bsd is not None:
        priority = _bsd_severity(bsd)
    fields = (ts, host or bhost, prog, _pid(pid, flaws), msg, priority, yearless, written)
    return _in_range(fields, flaws)


_SEVERITIES = {
    name: i
    for i, names in enumerate(
        (
            ("emerg", "panic"),
            ("alert",),
            ("crit",),
            ("err", "error"),
            ("warning", "warn"),
            ("notice",),
            ("info",),
            ("debug",),
        )
    )
    for name in names
}


def _bsd_severity(text: str) -> int | None:
    """Severity of FreeBSD's ``<4.3>`` (facility.severity) or ``<auth.info>`` tag."""
    level = text.rpartition(".")[2]
    if level.isdigit():
        return int(level) & 7
    return _SEVERITIES.get(level)


def _fields_5424(m: re.Match[str], clock: LocalClock, flaws: list[str] | None) -> Fields:
    msg = m.group("msg") or ""
    if msg.startswith("\ufeff"):  # RFC 5424 marks UTF-8 messages with a BOM
        msg = msg[1:]
    # rsyslog's %msg% keeps the legacy leading space after the tag: strip exactly one.
    if msg.startswith(" "):
        msg = msg[1:]
    host, prog, pid = m.group("host"), m.group("prog"), m.group("pid")
    ts_text = m.group("ts")
    return (
        None if ts_text == "-" else parse_iso(ts_text, clock),
        None if host == "-" else host,
        "" if prog == "-" else prog,
        _pid(pid, flaws) if pid.isdigit() else None,
        msg,
        int(m.group("pri")) & 7,
        False,
        None if ts_text == "-" else ts_text,
    )


def parse_line(line: str, year: int) -> Header | None:
    """Parse a line's header; None when it has no syslog framing we know."""
    f = parse_fields(line, year)
    if f is None:
        return None
    return Header(*f)
