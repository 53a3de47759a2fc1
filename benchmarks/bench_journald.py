"""Entries per second: a journal written by systemd-journal-remote vs the same lines in auth.log.

Generates N sshd entries (default 200,000) from a few real connection shapes with fresh
addresses, ports and pids, writes them as Journal Export Format, turns that into journal
files with systemd-journal-remote (it rotates: the result is a directory of files), and
writes the same lines as an RFC 3339 auth.log. Then times each reader alone and, when
``logsleuth.api`` is importable, a full ``scan`` of each source.

    python benchmarks/bench_journald.py [--entries 200000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logsleuth.readers import ReadOptions
from logsleuth.readers.journal_export import JournalExportReader, JournalJsonReader
from logsleuth.readers.journald import JournaldReader, _binding
from logsleuth.readers.syslog import SyslogReader

REMOTE = ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
T0 = datetime(2026, 11, 21, 0, 0, 0, tzinfo=UTC)

# Connection shapes: (identifier, pid offset, message with {ip} {port} {user}).
SHAPES: tuple[tuple[tuple[str, int, str], ...], ...] = (
    (
        ("sshd-session", 0, 'Connection from {ip} port {port} on 10.0.0.1 port 22 rdomain ""'),
        (
            "sshd-session",
            0,
            "Accepted publickey for {user} from {ip} port {port} ssh2: "
            "ED25519 SHA256:Zm9vYmFyYmF6cXV4",
        ),
        (
            "sshd-session",
            0,
            "pam_unix(sshd:session): session opened for user {user}(uid=1000) by {user}(uid=0)",
        ),
        ("sshd-session", 0, "User child is on pid {child}"),
        ("sshd-session", 1, "Received disconnect from {ip} port {port}:11: disconnected by user"),
        ("sshd-session", 1, "Disconnected from user {user} {ip} port {port}"),
        ("sshd-session", 0, "pam_unix(sshd:session): session closed for user {user}"),
    ),
    (
        ("sshd-session", 0, 'Connection from {ip} port {port} on 10.0.0.1 port 22 rdomain ""'),
        ("sshd-auth", 2, "Invalid user {user} from {ip} port {port}"),
        ("sshd-auth", 2, "Failed password for invalid user {user} from {ip} port {port} ssh2"),
        ("sshd-session", 0, "Connection closed by invalid user {user} {ip} port {port} [preauth]"),
    ),
    (
        ("sshd-session", 0, 'Connection from {ip} port {port} on 10.0.0.1 port 22 rdomain ""'),
        ("sshd-session", 0, "Accepted password for {user} from {ip} port {port} ssh2"),
        ("sshd-session", 0, "User child is on pid {child}"),
        ("sshd-session", 1, "Timeout, client not responding from user {user} {ip} port {port}"),
    ),
    (
        ("sshd-session", 0, "kex_exchange_identification: Connection closed by remote host"),
        ("sshd-session", 0, "Connection closed by {ip} port {port} [preauth]"),
    ),
)


def lines(n: int) -> Iterator[tuple[datetime, str, int, str]]:
    """N (time, identifier, pid, message) sshd lines, whole connections interleaved in order."""
    i = conn = 0
    while i < n:
        shape = SHAPES[conn % len(SHAPES)]
        pid = 10_000 + conn * 3
        values = {
            "ip": f"198.51.{conn // 250 % 250}.{conn % 250 + 1}",
            "port": 1024 + conn % 60000,
            "user": f"user{conn % 97}",
            "child": pid + 1,
        }
        for ident, offset, text in shape:
            if i >= n:
                return
            yield T0 + timedelta(milliseconds=i * 7), ident, pid + offset, text.format(**values)
            i += 1
        conn += 1


def usec(ts: datetime) -> int:
    """Microseconds since the epoch."""
    return int((ts - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000 + ts.microsecond


def export_entry(ts: datetime, ident: str, pid: int, message: str) -> bytes:
    """One entry in Journal Export Format, with the fields journald stores for syslog lines."""
    fields = (
        f"__REALTIME_TIMESTAMP={usec(ts)}\n__MONOTONIC_TIMESTAMP={usec(ts) - usec(T0) + 1}\n"
        "_BOOT_ID=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n_MACHINE_ID=a1b2c3d4e5f60718293a4b5c6d7e8f90\n"
        f"_HOSTNAME=web01\n_TRANSPORT=syslog\nPRIORITY=6\nSYSLOG_FACILITY=4\n"
        f"SYSLOG_IDENTIFIER={ident}\nSYSLOG_PID={pid}\n_PID={pid}\n_UID=0\n_COMM={ident}\n"
        "_SYSTEMD_UNIT=ssh.service\n"
    ).encode()
    data = message.encode()
    if b"\n" in data:
        return fields + b"MESSAGE\n" + struct.pack("<Q", len(data)) + data + b"\n\n"
    return fields + b"MESSAGE=" + data + b"\n\n"


def build(n: int, work: Path) -> dict[str, Path]:
    """Write the auth.log, the export and the journal directory; return their paths."""
    remote = next((r for r in REMOTE if Path(r).exists()), None)
    if remote is None:
        sys.exit("systemd-journal-remote is not installed (apt-get install systemd-journal-remote)")
    authlog, export, jdir = work / "auth.log", work / "sshd.export", work / "journal"
    jdir.mkdir(exist_ok=True)
    with authlog.open("w") as log, export.open("wb") as exp:
        for ts, ident, pid, message in lines(n):
            log.write(f"{ts.isoformat(timespec='microseconds')} web01 {ident}[{pid}]: {message}\n")
            exp.write(export_entry(ts, ident, pid, message))
    subprocess.run(
        [remote, f"--output={jdir / 'sshd.journal'}", str(export)], check=True, capture_output=True
    )
    json_dump = work / "sshd.json"
    with json_dump.open("wb") as fh:
        subprocess.run(
            ["journalctl", "-D", str(jdir), "-o", "json", "--no-pager"], stdout=fh, check=True
        )
    return {"auth.log": authlog, "export": export, "json": json_dump, "journal": jdir}


def timed(fn: Callable[[], int], repeat: int) -> tuple[int, float]:
    """Run fn (which returns a count) ``repeat`` times; the count and the best time."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return count, best


def main() -> None:
    """Build the inputs, time every reader (and scan), print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument(
        "--keep", type=Path, help="build the inputs in this directory and keep them"
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-journald-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t_build = time.perf_counter()
        paths = build(args.entries, work)
        files = sorted(p.name for p in paths["journal"].iterdir())
        print(
            f"built {args.entries} entries in {time.perf_counter() - t_build:.1f} s; "
            f"journal files: {len(files)}",
            file=sys.stderr,
        )
        opts = ReadOptions()
        rows: list[tuple[str, Callable[[], int]]] = [
            (
                "reader: syslog (auth.log, RFC 3339)",
                lambda: sum(1 for _ in SyslogReader().read(str(paths["auth.log"]), opts)),
            ),
            (
                "reader: journal-export (-o export)",
                lambda: sum(1 for _ in JournalExportReader().read(str(paths["export"]), opts)),
            ),
            (
                "reader: journal-json (-o json)",
                lambda: sum(1 for _ in JournalJsonReader().read(str(paths["json"]), opts)),
            ),
            (
                "reader: journald via journalctl -o json",
                lambda: sum(
                    1 for _ in JournaldReader("journalctl").read(str(paths["journal"]), opts)
                ),
            ),
        ]
        if _binding() is not None:
            rows.insert(
                1,
                (
                    "reader: journald (systemd-python)",
                    lambda: sum(
                        1 for _ in JournaldReader("binding").read(str(paths["journal"]), opts)
                    ),
                ),
            )
        try:
            from logsleuth import api
        except ImportError:
            api = None  # type: ignore[assignment]
        if api is not None:

            def scan(**kw: object) -> Callable[[], int]:
                def run() -> int:
                    report = api.scan(**kw)  # type: ignore[arg-type]
                    return sum(s.lines for s in report.sources)

                return run

            rows += [
                ("scan: auth.log", scan(paths=[str(paths["auth.log"])])),
                (
                    "scan: --journal-dir (binding or journalctl)",
                    scan(paths=[], journal_dirs=[str(paths["journal"])]),
                ),
                ("scan: journal export (-o export)", scan(paths=[str(paths["export"])])),
                ("scan: journal export (-o json)", scan(paths=[str(paths["json"])])),
            ]
        print("| what | entries | seconds | entries/s |")
        print("|---|---:|---:|---:|")
        for name, fn in rows:
            count, secs = timed(fn, args.repeat)
            print(f"| {name} | {count:,} | {secs:.2f} | {count / secs:,.0f} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
