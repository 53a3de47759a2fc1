"""Bounds on numbers and times read from logs, which attackers write.

A pid, port or count of thousands of digits, ``message repeated 2147483647 times`` or a
time in year 9999 with a negative offset is not an error of the source: the value is
left out (the line is still read and counted, with a note) so that nothing out of range
reaches ``int``'s digit limit, ``datetime`` arithmetic or a DuckDB column.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1

#: Largest accepted value of each numeric catalogue field; a value above it is dropped.
FIELD_MAX: dict[str, int] = {
    "port": 65535,
    "lport": 65535,
    "local": 65535,
    "remote": 65535,
    "pid": MAX_INT32,
    "child_pid": MAX_INT32,
    "count": MAX_INT32,
    "code": MAX_INT32,
    "status": MAX_INT32,
    "signal": MAX_INT32,
    "channel": MAX_INT32,
    "lineno": MAX_INT32,
    "n": MAX_INT32,
    "seconds": MAX_INT64,
    "bytes": MAX_INT64,
    "sent": MAX_INT64,
    "received": MAX_INT64,
}
MAX_PID = MAX_INT32
MAX_REPEAT = MAX_INT32
"""``message repeated N times``: a larger N is dropped (the line counts once)."""
MAX_MESSAGE = 4096
"""Longest message given to the catalogue: sshd formats its messages in a 1 KiB buffer
(``MSGBUFSIZ``), so anything longer is not sshd's own and stays unmatched."""
MAX_COUNT = 2**62
"""Sums such as a connection's failures are capped here, well inside BIGINT."""

#: Times outside these years are dropped: no log is older, and arithmetic on later
#: times (adding a grace time, a window) must never leave ``datetime``'s range.
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC)
MIN_USEC = int((MIN_TIME - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000
MAX_USEC = int((MAX_TIME - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000


def bounded_int(text: str | None, maximum: int = MAX_INT64) -> int | None:
    """The value of an ASCII decimal string in ``0..maximum``; None for anything else.

    Checks the length first, so a number of thousands of digits costs nothing (and never
    reaches ``int``'s 4,300-digit limit); non-ASCII digits (``٣``) are not numbers here.
    """
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


def in_range(ts: datetime | None) -> datetime | None:
    """``ts`` when it lies between :data:`MIN_TIME` and :data:`MAX_TIME`, else None."""
    if ts is None or MIN_TIME <= ts < MAX_TIME:
        return ts
    return None


#: Digits of each maximum in :data:`FIELD_MAX`: a value of fewer ASCII digits is in range.
_FIELD_DIGITS = {name: len(str(maximum)) for name, maximum in FIELD_MAX.items()}


def bad_fields(fields: Mapping[str, str]) -> list[str]:
    """Names of numeric fields whose value is out of range (see :data:`FIELD_MAX`)."""
    bad = []
    for name, value in fields.items():
        digits = _FIELD_DIGITS.get(name)
        # Only digit strings are numbers; other text a field may capture is left alone.
        if (
            digits is not None
            and value.isdigit()
            and (len(value) >= digits or not value.isascii())
            and bounded_int(value, FIELD_MAX[name]) is None
        ):
            bad.append(name)
    return bad
