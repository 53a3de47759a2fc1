"""``sshd -E`` files: timing them while they are written, and framing them as syslog.

An ``-E`` file holds bare messages (``Timeout, client not responding from ...``): no time,
no host, no program and no pid, each line ending in CRLF. To scan it, each line gets an
RFC 3339 syslog header built honestly from what the lab knows:

* time: when the lab saw the line appear in the file (polled every 50 ms while sshd runs,
  saved beside the log as ``server-E.times``); so times are accurate to about 50 ms;
* pid: made up, since sshd wrote none. Lines naming a client ``IP port N`` belong to that
  connection, which gets its own pid (1000, 1001, ...); the listener's own lines
  (``Server listening``, ``Received signal``, MaxStartups drops) get pid 1; other lines
  without an address belong to the connection that logged most recently.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

_CONN = re.compile(r"(?:from |by |with |for |user \S+ )?\[?([0-9a-fA-F:.]+)\]?:? port (\d+)")
_DROP = re.compile(r"drop connection #\d+ from \[([0-9a-fA-F:.]+)\]:(\d+)")
_LISTENER = re.compile(
    r"^(Server listening on |Received signal \d+; terminating|drop connection #|"
    r"Received SIGHUP|Exiting on signal|error: Bind to port)"
)
LISTENER_PID = 1
FIRST_CONNECTION_PID = 1000


class Tail(threading.Thread):
    """Records when each line of a growing file first appears."""

    def __init__(self, path: Path, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.interval = interval
        self.times: list[datetime] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Poll until stopped (a final poll follows the stop request)."""
        while not self._stop_event.is_set():
            self._poll()
            time.sleep(self.interval)
        self._poll()

    def _poll(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        complete = data.count(b"\n")
        now = datetime.now(UTC)
        self.times.extend([now] * (complete - len(self.times)))

    def finish(self) -> list[datetime]:
        """Stop polling and return one time per complete line."""
        self._stop_event.set()
        self.join()
        return self.times


def connection_key(message: str) -> tuple[str, str] | None:
    """The ``(client ip, client port)`` a message names, if any."""
    m = _DROP.search(message) or _CONN.search(message)
    return (m.group(1), m.group(2)) if m else None


def assign_pids(messages: Sequence[str]) -> list[int]:
    """A made-up pid per line: 1 for the listener, one per client connection otherwise."""
    pids: dict[tuple[str, str], int] = {}
    last = LISTENER_PID
    out = []
    for msg in messages:
        if _LISTENER.match(msg):
            out.append(LISTENER_PID)
            continue
        key = connection_key(msg)
        if key is not None:
            if key not in pids:
                pids[key] = FIRST_CONNECTION_PID + len(pids)
            last = pids[key]
        out.append(last)
    return out


def frame(messages: Sequence[str], times: Sequence[datetime], host: str = "lab") -> list[str]:
    """RFC 3339 syslog lines (``<ts> <host> sshd[<pid>]: <message>``) for -E messages."""
    if len(times) < len(messages):
        raise ValueError(f"{len(messages)} lines but only {len(times)} times")
    pids = assign_pids(messages)
    return [
        f"{ts.astimezone(UTC).isoformat(timespec='microseconds')} {host} sshd[{pid}]: {msg}"
        for msg, ts, pid in zip(messages, times, pids, strict=False)
    ]


def read_messages(path: Path) -> list[str]:
    """The messages of an -E file, without their CRLF endings."""
    return [ln.rstrip("\r") for ln in path.read_text(errors="replace").splitlines()]


def read_times(path: Path) -> list[datetime]:
    """The saved line times (one ISO 8601 time per line)."""
    return [datetime.fromisoformat(ln) for ln in path.read_text().split()]
