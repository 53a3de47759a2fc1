"""Scenarios about established sessions: clean exit, keepalives, killed peers, shutdown."""

from __future__ import annotations

import signal
import time

from sshlab.job import Job

KEEPALIVE = {"ClientAliveInterval": "1", "ClientAliveCountMax": "2"}


def clean_exit(job: Job) -> None:
    """A command runs and the client disconnects normally."""
    job.sshd()
    rc = job.ssh("echo lab-ok")
    assert rc == 0, f"ssh exited with {rc}"


def server_keepalive(job: Job) -> None:
    """The client is frozen (SIGSTOP); sshd's ClientAlive probes go unanswered."""
    server = job.sshd(KEEPALIVE)
    client = job.ssh_start("sleep 60")
    server.wait_session()
    job.signal([client.pid], signal.SIGSTOP, "freeze ssh client")
    server.wait_no_sessions(20)
    job.act("server side of the session is gone")
    job.signal([client.pid], signal.SIGCONT, "thaw ssh client")
    job.wait_exit(client, 10)


def client_keepalive(job: Job) -> None:
    """The session's sshd processes are frozen; the client's ServerAlive probes time out."""
    server = job.sshd()
    client = job.ssh_start(
        "sleep 60", extra=["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2"]
    )
    server.wait_session()
    frozen = server.sessions()
    job.signal(frozen, signal.SIGSTOP, "freeze the session's sshd processes")
    job.wait_exit(client, 20)
    job.signal(frozen, signal.SIGCONT, "thaw the session's sshd processes")
    server.wait_no_sessions(10)


def client_killed(job: Job) -> None:
    """The ssh client is killed with SIGKILL in the middle of a session."""
    server = job.sshd()
    client = job.ssh_start("sleep 60")
    server.wait_session()
    job.signal([client.pid], signal.SIGKILL, "kill ssh client")
    job.wait_exit(client, 5)
    server.wait_no_sessions(10)


def unused_connection_timeout(job: Job) -> None:
    """A session without channels (ssh -N) is closed by UnusedConnectionTimeout."""
    server = job.sshd({"UnusedConnectionTimeout": "2"})
    client = job.ssh_start("", extra=["-N"])
    job.wait_exit(client, 20)
    server.wait_no_sessions(5)


def sshd_stopped(job: Job) -> None:
    """sshd is stopped while a session is open: listener first, then the session's processes.

    This is what a system shutdown does (Debian's ssh.service uses KillMode=process, so
    ``systemctl stop ssh`` alone leaves sessions running; the shutdown then ends them).
    """
    server = job.sshd()
    client = job.ssh_start("sleep 60")
    server.wait_session()
    sessions = server.sessions()
    job.signal([server.pid], signal.SIGTERM, "stop sshd listener")
    server.proc.wait(5)
    time.sleep(0.3)
    job.signal(sessions, signal.SIGTERM, "stop the session's sshd processes")
    job.wait_exit(client, 10)
