"""Fixtures that write real journal files: Journal Export Format -> systemd-journal-remote."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

REMOTE_CANDIDATES = (
    "/lib/systemd/systemd-journal-remote",
    "/usr/lib/systemd/systemd-journal-remote",
)
BOOT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
MACHINE_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
T0 = datetime(2026, 11, 21, 19, 15, 1, 250_000, tzinfo=UTC)

FieldValue = str | bytes | int
Entry = Mapping[str, FieldValue]


def usec(ts: datetime) -> int:
    """Microseconds since the epoch."""
    return round((ts - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


def export_bytes(entries: Iterable[Entry]) -> bytes:
    """Entries in Journal Export Format; values with a newline or non-UTF-8 go binary-safe."""
    out = bytearray()
    for entry in entries:
        for key, value in entry.items():
            data = value if isinstance(value, bytes) else str(value).encode()
            binary = b"\n" in data or isinstance(value, bytes)
            if binary:
                out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
            else:
                out += key.encode() + b"=" + data + b"\n"
        out += b"\n"
    return bytes(out)


def entry(
    ts: datetime,
    message: str | bytes,
    ident: str | None = "sshd",
    pid: int = 1234,
    host: str = "web01",
    unit: str | None = "ssh.service",
    priority: int = 6,
    facility: int = 4,
) -> dict[str, FieldValue]:
    """An entry as journald stores a syslog line from sshd."""
    fields: dict[str, FieldValue] = {
        "__REALTIME_TIMESTAMP": usec(ts),
        "__MONOTONIC_TIMESTAMP": usec(ts) - usec(T0) + 5_000_000,
        "_BOOT_ID": BOOT_ID,
        "_MACHINE_ID": MACHINE_ID,
        "_HOSTNAME": host,
        "_TRANSPORT": "syslog",
        "PRIORITY": priority,
        "SYSLOG_FACILITY": facility,
        "SYSLOG_PID": pid,
        "_PID": pid,
        "_UID": 0,
    }
    if ident is not None:
        fields["SYSLOG_IDENTIFIER"] = ident
        fields["_COMM"] = ident
    if unit is not None:
        fields["_SYSTEMD_UNIT"] = unit
    fields["MESSAGE"] = message
    return fields


def journal_remote() -> str | None:
    """systemd-journal-remote, if installed."""
    for path in REMOTE_CANDIDATES:
        if Path(path).exists():
            return path
    return None


def write_journal(entries: Iterable[Entry], output: Path) -> Path:
    """Append entries to a journal file (created if absent) with systemd-journal-remote."""
    remote = journal_remote()
    assert remote is not None
    assert output.name.endswith(".journal"), "journal-remote needs a .journal output name"
    done = subprocess.run(
        [remote, f"--output={output}", "-"],
        input=export_bytes(entries),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return output


@pytest.fixture
def make_journal(tmp_path: Path) -> Callable[..., Path]:
    """Write entries to ``tmp_path/<name>`` as a real journal file (skips without the tool)."""
    if journal_remote() is None:
        pytest.skip(
            "systemd-journal-remote is not installed (apt-get install systemd-journal-remote)"
        )

    def make(
        entries: Iterable[Entry], name: str = "sshd.journal", directory: Path | None = None
    ) -> Path:
        where = directory or tmp_path
        where.mkdir(parents=True, exist_ok=True)
        return write_journal(entries, where / name)

    return make


@pytest.fixture
def binding() -> object:
    """systemd.journal (skips without systemd-python)."""
    return pytest.importorskip(
        "systemd.journal", reason="systemd-python is not installed (pip install systemd-python)"
    )


@pytest.fixture
def journalctl() -> str:
    """The journalctl executable (skips without it)."""
    exe = shutil.which("journalctl")
    if exe is None:
        pytest.skip("journalctl is not installed")
    return exe


# A day of one server: connections that end in different ways, plus other programs' lines.
# (seconds after T0, identifier, pid, message); None as identifier = a unit-only entry.
SCENARIO: tuple[tuple[float, str, int, str], ...] = (
    (0.0, "sshd", 700, "Server listening on 0.0.0.0 port 22."),
    (
        1.0,
        "sshd-session",
        1001,
        'Connection from 203.0.113.5 port 50022 on 10.0.0.1 port 22 rdomain ""',
    ),
    (
        1.2,
        "sshd-session",
        1001,
        "Accepted publickey for alice from 203.0.113.5 port 50022 ssh2: "
        "ED25519 SHA256:Zm9vYmFyYmF6cXV4",
    ),
    (
        1.3,
        "sshd-session",
        1001,
        "pam_unix(sshd:session): session opened for user alice(uid=1000) by alice(uid=0)",
    ),
    (1.4, "sshd-session", 1001, "User child is on pid 1002"),
    (
        1.5,
        "sshd-session",
        1002,
        "Starting session: shell on pts/0 for alice from 203.0.113.5 port 50022 id 0",
    ),
    (2.0, "CRON", 1500, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"),
    (
        30.0,
        "sshd-session",
        1002,
        "Received disconnect from 203.0.113.5 port 50022:11: disconnected by user",
    ),
    (30.1, "sshd-session", 1002, "Disconnected from user alice 203.0.113.5 port 50022"),
    (30.2, "sshd-session", 1001, "pam_unix(sshd:session): session closed for user alice"),
    (
        40.0,
        "sshd-session",
        1101,
        'Connection from 198.51.100.7 port 41000 on 10.0.0.1 port 22 rdomain ""',
    ),
    (40.3, "sshd-session", 1101, "Accepted password for bob from 198.51.100.7 port 41000 ssh2"),
    (
        40.4,
        "sshd-session",
        1101,
        "pam_unix(sshd:session): session opened for user bob(uid=1001) by bob(uid=0)",
    ),
    (40.5, "sshd-session", 1101, "User child is on pid 1102"),
    (
        95.0,
        "sshd-session",
        1102,
        "Timeout, client not responding from user bob 198.51.100.7 port 41000",
    ),
    (95.1, "sshd-session", 1101, "pam_unix(sshd:session): session closed for user bob"),
    (
        100.0,
        "sshd-session",
        1201,
        'Connection from 192.0.2.44 port 60001 on 10.0.0.1 port 22 rdomain ""',
    ),
    (100.5, "sshd-auth", 1203, "Invalid user admin from 192.0.2.44 port 60001"),
    (
        101.0,
        "sshd-auth",
        1203,
        "Failed password for invalid user admin from 192.0.2.44 port 60001 ssh2",
    ),
    (
        103.0,
        "sshd-session",
        1201,
        "Connection closed by invalid user admin 192.0.2.44 port 60001 [preauth]",
    ),
    (110.0, "systemd", 1, "Started session-5.scope - Session 5 of User alice."),
    (
        120.0,
        "sshd-session",
        1301,
        'Connection from 203.0.113.9 port 52000 on 10.0.0.1 port 22 rdomain ""',
    ),
    (
        120.2,
        "sshd-session",
        1301,
        "Accepted publickey for carol from 203.0.113.9 port 52000 ssh2: "
        "ED25519 SHA256:cXV4cXV4cXV4",
    ),
    (120.3, "sshd-session", 1301, "User child is on pid 1302"),
    (
        180.0,
        "sshd-session",
        1302,
        "Read error from remote host 203.0.113.9 port 52000: Connection reset by peer",
    ),
    (180.1, "sshd-session", 1301, "pam_unix(sshd:session): session closed for user carol"),
    (200.0, "sshd-session", 1401, "Connection closed by 192.0.2.99 port 33333 [preauth]"),
)


def scenario_entries(host: str = "web01") -> list[dict[str, FieldValue]]:
    """SCENARIO as journal entries (sshd's under ssh.service, others under their units)."""
    out = []
    for offset, ident, pid, message in SCENARIO:
        sshd = ident.startswith("sshd")
        out.append(
            entry(
                T0 + timedelta(seconds=offset),
                message,
                ident,
                pid,
                host,
                unit="ssh.service" if sshd else ("cron.service" if ident == "CRON" else None),
                priority=6 if sshd else 5,
                facility=4 if sshd else 10,
            )
        )
    return out


def sshd_lines() -> list[tuple[datetime, str, int, str]]:
    """The sshd lines of SCENARIO (time, identifier, pid, message)."""
    return [(T0 + timedelta(seconds=o), i, p, m) for o, i, p, m in SCENARIO if i.startswith("sshd")]


@pytest.fixture
def jx() -> SimpleNamespace:
    """The helpers of this file, for tests (conftest modules are not imported by name)."""
    return SimpleNamespace(
        T0=T0,
        BOOT_ID=BOOT_ID,
        SCENARIO=SCENARIO,
        entry=entry,
        export_bytes=export_bytes,
        scenario_entries=scenario_entries,
        sshd_lines=sshd_lines,
        usec=usec,
        write_journal=write_journal,
    )
