"""The macOS unified log as text: ``log show`` and ``log stream`` output.

macOS keeps sshd's messages in the unified log; the pages that help Mac users tell them
to run ``log show --predicate 'process == "sshd"'`` (or ``log stream``), in one of
these styles:

- default::

    Timestamp                       Thread   Type     Activity   PID   TTL
    2024-05-02 09:14:03.118342+0200 0x2f1c4  Default  0x0        4412  0    sshd: Accepted ...

  The message starts with the process name; a message logged by a library inside the
  process names it in parentheses (``sshd: (libpam.2.dylib) ...``) and may carry a
  ``[subsystem:category]``. Such library lines are not sshd's own messages: their
  program becomes ``sshd (libpam.2.dylib)``, which is not an ssh program.
- ``--style syslog``: ``2024-05-02 09:14:03.118342+0200  localhost sshd[4412]: ...``
  (syslog framing with a full date and offset);
- ``--style compact``: ``2024-05-02 09:14:03.118 Df sshd[4412:2f1c4] ...`` (local time).

The preamble (``Filtering the log data using ...``, ``Skipping info and debug
messages ...``, the column titles) and ``log show``'s closing counts are kept as lines
without a program, as are the continuation lines of multi-line messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from logsleuth.model import Record
from logsleuth.readers.base import ReadOptions
from logsleuth.readers.syslog import iter_lines
from logsleuth.readers.syslog_header import LocalClock, parse_fields, parse_iso

_DEFAULT = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}) +0x[0-9a-f]+ +(?P<type>[A-Za-z]+)"
    r" +0x[0-9a-f]+ +(?P<pid>\d+) +\d+ +(?P<proc>[^:]+?): "
    r"(?:\((?P<sender>[^)]*)\) )?(?:\[(?P<subsystem>[^\]]*)\] )?(?P<msg>.*)",
    re.DOTALL,
)
_COMPACT = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) +(?P<type>[A-Z][a-z]?) +"
    r"(?P<proc>[^\[]+?)\[(?P<pid>\d+):[0-9a-f]+\] "
    r"(?:\((?P<sender>[^)]*)\) )?(?:\[(?P<subsystem>[^\]]*)\] )?(?P<msg>.*)",
    re.DOTALL,
)
_PREAMBLE = re.compile(
    r"Filtering the log data using |Skipping info and debug messages|"
    r"Timestamp +(?:Thread +Type|\(process\)\[PID\]|Ty +Process\[PID:TID\])"
)
# Syslog severities of the unified log's message types (default style, then compact).
_SEVERITY = {
    "Fault": 2,
    "Error": 3,
    "Default": 5,
    "Info": 6,
    "Debug": 7,
    "F": 2,
    "E": 3,
    "Df": 5,
    "I": 6,
    "Db": 7,
}


class MacLogReader:
    """Reads the text output of macOS ``log show`` / ``log stream`` in any of its styles."""

    name = "macos-log"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when the head has the ``log`` preamble or lines of its default style."""
        for raw in head.split(b"\n")[:40]:
            text = raw.decode("utf-8", "replace").rstrip("\r")
            if _PREAMBLE.match(text) or _DEFAULT.match(text):
                return True
        return False

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield every line as a record (preamble and continuation lines without a program)."""
        clock = LocalClock(options.tz)
        for lineno, raw in enumerate(iter_lines(path), 1):
            text = raw.replace(b"\x00", b"").decode("utf-8", "replace").rstrip("\r")
            m = _DEFAULT.match(text) or _COMPACT.match(text)
            if m is not None:
                proc, sender = m.group("proc"), m.group("sender")
                yield Record(
                    _time(m.group("ts"), clock),
                    None,
                    proc if sender is None else f"{proc} ({sender})",
                    int(m.group("pid")),
                    m.group("msg"),
                    path,
                    lineno,
                    priority=_SEVERITY.get(m.group("type")),
                    stamp=m.group("ts"),
                )
                continue
            f = parse_fields(text, datetime.now().year, clock)  # --style syslog: full dates
            if f is None:
                yield Record(None, None, "", None, text, path, lineno)
                continue
            ts, host, prog, pid, msg, priority, _, stamp = f
            yield Record(ts, host, prog, pid, msg, path, lineno, priority=priority, stamp=stamp)


def _time(text: str, clock: LocalClock) -> datetime | None:
    """A ``log`` time stamp: a ``+0200`` offset as written, an offsetless one local."""
    return parse_iso(text, clock)
