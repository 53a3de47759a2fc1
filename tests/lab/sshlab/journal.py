"""Journal files built from captured syslog lines with ``systemd-journal-remote``.

The lab writes Journal Export Format itself from the RFC 5424 capture (which keeps each
line's priority and facility), then lets systemd-journal-remote turn it into a real
``.journal`` file. Entries without ``__REALTIME_TIMESTAMP`` would be dropped by it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from sshlab.env import JOURNAL_REMOTE
from sshlab.rsyslog import Line5424

BOOT_ID = "5e1f0c0ffee04c0d9b1a2b3c4d5e6f70"
MACHINE_ID = "0123456789abcdef0123456789abcdef"


def _field(key: str, value: str) -> bytes:
    raw = value.encode()
    if b"\n" in raw:  # binary-safe form: name, newline, little-endian length, bytes
        return key.encode() + b"\n" + len(raw).to_bytes(8, "little") + raw + b"\n"
    return key.encode() + b"=" + raw + b"\n"


def export(lines: Iterable[Line5424]) -> bytes:
    """Journal Export Format for sshd lines as journald would have stored them."""
    out = bytearray()
    first = None
    for line in lines:
        usec = int(line.ts.timestamp() * 1_000_000)
        first = usec if first is None else first
        fields = {
            "__REALTIME_TIMESTAMP": str(usec),
            "__MONOTONIC_TIMESTAMP": str(usec - first + 1_000_000),
            "_BOOT_ID": BOOT_ID,
            "_MACHINE_ID": MACHINE_ID,
            "_HOSTNAME": line.host,
            "_TRANSPORT": "syslog",
            "PRIORITY": str(line.pri & 7),
            "SYSLOG_FACILITY": str(line.pri >> 3),
            "SYSLOG_IDENTIFIER": line.app,
            "_COMM": line.app,
            "_EXE": "/usr/sbin/sshd",
            "_UID": "0",
            "_SYSTEMD_UNIT": "ssh.service",
            "MESSAGE": line.message,
        }
        if line.pid is not None:
            fields["SYSLOG_PID"] = fields["_PID"] = str(line.pid)
        for key, value in fields.items():
            out += _field(key, value)
        out += b"\n"
    return bytes(out)


def build(export_file: Path, journal_file: Path) -> Path:
    """Run systemd-journal-remote on an export file; the output must end in .journal."""
    if journal_file.suffix != ".journal":
        raise ValueError("systemd-journal-remote needs an output name ending in .journal")
    journal_file.unlink(missing_ok=True)  # it appends to an existing file
    subprocess.run(
        [JOURNAL_REMOTE, f"--output={journal_file}", str(export_file)],
        check=True,
        capture_output=True,
    )
    return journal_file
