"""A private rsyslogd serving /dev/log, writing auth lines in three framings.

sshd always logs to /dev/log, so the syslog captures need an rsyslogd on that socket. It
is only started when nothing else serves /dev/log; otherwise the syslog forms are skipped.
All jobs share it, so each job's lines are sliced out afterwards (see :func:`slice_lines`).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sshlab import procs

DEV_LOG = "/dev/log"
#: Capture file per framing; all three see the same messages in the same order.
FILES = {
    "3164": ("auth-3164.log", "RSYSLOG_TraditionalFileFormat"),
    "3339": ("auth-3339.log", "RSYSLOG_FileFormat"),
    "5424": ("auth-5424.log", "RSYSLOG_SyslogProtocol23Format"),
}
HOSTNAME = "lab"

_R5424 = re.compile(r"^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) \S+ \S+ {1,2}(.*)$")


def dev_log_served() -> bool:
    """Whether some process already receives datagrams on /dev/log."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.connect(DEV_LOG)
    except OSError:
        return False
    finally:
        sock.close()
    return True


class PrivateRsyslog:
    """rsyslogd in the foreground on /dev/log, stopped by pid."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None

    def path(self, form: str) -> Path:
        """The capture file of one framing (``3164``, ``3339`` or ``5424``)."""
        return self.root / FILES[form][0]

    def start(self) -> None:
        """Write the config, check it and start rsyslogd; wait until /dev/log answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "spool").mkdir(exist_ok=True)
        actions = "".join(
            f'auth,authpriv.* action(type="omfile" file="{self.root / name}" '
            f'template="{template}")\n'
            for name, template in FILES.values()
        )
        conf = self.root / "rsyslog.conf"
        conf.write_text(
            f'global(workDirectory="{self.root / "spool"}" localHostname="{HOSTNAME}")\n'
            f'module(load="imuxsock" SysSock.Name="{DEV_LOG}" SysSock.RateLimit.Interval="0")\n'
            + actions
        )
        subprocess.run(["rsyslogd", "-N1", "-f", str(conf)], check=True, capture_output=True)
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", str(conf), "-i", str(self.root / "rsyslogd.pid")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not dev_log_served():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("rsyslogd did not come up on /dev/log")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop rsyslogd by pid (it removes /dev/log on exit)."""
        if self.proc is not None:
            procs.reap(self.proc)
            self.proc = None


@dataclass(frozen=True)
class Line5424:
    """The parts of an RFC 5424 capture line needed for slicing and journal export."""

    pri: int
    ts: datetime
    host: str
    app: str
    pid: int | None
    message: str


def parse_5424(line: str) -> Line5424 | None:
    """Parse one line of the RFC 5424 capture (rsyslog keeps a legacy leading space: dropped)."""
    m = _R5424.match(line)
    if m is None:
        return None
    pid = int(m.group(5)) if m.group(5).isdigit() else None
    return Line5424(
        int(m.group(1)), datetime.fromisoformat(m.group(2)), m.group(3), m.group(4), pid,
        m.group(6),
    )  # fmt: skip


def slice_lines(
    lines5424: Sequence[str],
    addrs: Iterable[str],
    pids: Iterable[int],
    start: datetime,
    end: datetime,
) -> list[int]:
    """Indexes of the lines that belong to one job.

    A job owns its listener pids, every pid that logged a line naming one of its client
    addresses (unique per job), and the user-child pids its monitors announce. Only lines
    inside the job's time window count, so a recycled pid cannot pull in foreign lines.
    """
    window = (start - timedelta(seconds=1), end + timedelta(seconds=2))
    parsed = [parse_5424(line) for line in lines5424]
    inside = [
        p if p is not None and window[0] <= p.ts <= window[1] and p.app == "sshd" else None
        for p in parsed
    ]
    owned = set(pids)
    addr_re = re.compile(r"(?<![\d.])(?:" + "|".join(re.escape(a) for a in addrs) + r")(?![\d.])")
    for p in inside:
        if p is not None and p.pid is not None and addr_re.search(p.message):
            owned.add(p.pid)
    changed = True
    while changed:  # follow "User child is on pid N" announcements
        changed = False
        for p in inside:
            if p is None or p.pid not in owned:
                continue
            m = re.match(r"User child is on pid (\d+)$", p.message)
            if m and int(m.group(1)) not in owned:
                owned.add(int(m.group(1)))
                changed = True
    return [i for i, p in enumerate(inside) if p is not None and p.pid in owned]
