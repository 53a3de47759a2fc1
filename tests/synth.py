"""Build synthetic auth.log text with known truth, for sessionizer and diagnosis tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 11, 3, 8, 0, 0, tzinfo=UTC)


@dataclass
class Log:
    """Lines with timestamps; written sorted (stable) in RFC 3339 or RFC 3164 framing."""

    lines: list[tuple[datetime, int, str]] = field(default_factory=list)
    _n: int = 0

    def add(self, t: datetime | float, host: str, prog: str, pid: int | None, msg: str) -> None:
        ts = T0 + timedelta(seconds=t) if isinstance(t, (int, float)) else t
        tag = f"{prog}[{pid}]" if pid is not None else prog
        self._n += 1
        self.lines.append((ts, self._n, f"{host} {tag}: {msg}"))

    def text(self, rfc3164: bool = False) -> str:
        out = []
        for ts, _, rest in sorted(self.lines):
            stamp = (
                f"{ts:%b} {ts.day:>2} {ts:%H:%M:%S}"
                if rfc3164
                else ts.isoformat(timespec="microseconds")
            )
            out.append(f"{stamp} {rest}\n")
        return "".join(out)

    def write(self, path: Path, rfc3164: bool = False) -> Path:
        path.write_text(self.text(rfc3164), encoding="utf-8")
        return path


#: The child's last line(s) for each way a session can end ("pam-only" and "open": none).
END_LINES = {
    "clean": (
        "Received disconnect from {ip} port {port}:11: disconnected by user",
        "Disconnected from user {user} {ip} port {port}",
    ),
    "reset": ("Read error from remote host {ip} port {port}: Connection reset by peer",),
    "tcp-timeout": ("Read error from remote host {ip} port {port}: Connection timed out",),
    "keepalive": ("Timeout, client not responding from user {user} {ip} port {port}",),
    "closed": ("Connection closed by {ip} port {port}",),
}


def _end(
    log: Log,
    e: float,
    host: str,
    prog: str,
    pid: int,
    child: int,
    ip: str,
    port: int,
    user: str,
    end: str,
) -> None:
    """The child's end lines, then the monitor's PAM close (none for a session still open)."""
    for line in END_LINES.get(end, ()):
        log.add(e, host, prog, child, line.format(ip=ip, port=port, user=user))
    if end != "open":
        log.add(
            e + 0.01, host, prog, pid, f"pam_unix(sshd:session): session closed for user {user}"
        )


def verbose_session(
    log: Log,
    t: float,
    host: str,
    pid: int,
    child: int,
    ip: str,
    port: int,
    user: str,
    end: str,
    dur: float,
    prog: str = "sshd-session",
) -> None:
    """A 9.8+ VERBOSE session: Connection from ... to the end named by ``end``."""
    log.add(t, host, prog, pid, f'Connection from {ip} port {port} on 10.0.0.1 port 22 rdomain ""')
    log.add(
        t + 0.1,
        host,
        prog,
        pid,
        f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:abc",
    )
    log.add(
        t + 0.1,
        host,
        prog,
        pid,
        f"pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)",
    )
    log.add(t + 0.2, host, prog, pid, f"User child is on pid {child}")
    log.add(
        t + 0.2,
        host,
        prog,
        child,
        f"Starting session: shell on pts/0 for {user} from {ip} port {port} id 0",
    )
    _end(log, t + dur, host, prog, pid, child, ip, port, user, end)


def info_session(
    log: Log,
    t: float,
    host: str,
    pid: int,
    child: int,
    ip: str,
    port: int,
    user: str,
    end: str,
    dur: float,
) -> None:
    """An OpenSSH <= 9.7 INFO session: no Connection from, no child link line."""
    log.add(t, host, "sshd", pid, f"Accepted password for {user} from {ip} port {port} ssh2")
    log.add(
        t,
        host,
        "sshd",
        pid,
        f"pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)",
    )
    _end(log, t + dur, host, "sshd", pid, child, ip, port, user, end)


def brute(
    log: Log, t: float, host: str, pid: int, ip: str, port: int, user: str, tries: int = 3
) -> None:
    """An invalid-user password guesser that gives up (INFO, <= 9.7 wording)."""
    log.add(t, host, "sshd", pid, f"Invalid user {user} from {ip} port {port}")
    for i in range(tries):
        log.add(
            t + 1 + i,
            host,
            "sshd",
            pid,
            f"Failed password for invalid user {user} from {ip} port {port} ssh2",
        )
    log.add(
        t + 1 + tries,
        host,
        "sshd",
        pid,
        f"Connection closed by invalid user {user} {ip} port {port} [preauth]",
    )


def probe(log: Log, t: float, host: str, pid: int, ip: str, port: int) -> None:
    """A TCP connect + close before the banner (9.5+ INFO wording)."""
    log.add(t, host, "sshd", pid, f"Connection closed by {ip} port {port}")
