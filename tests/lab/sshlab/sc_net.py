"""Scenarios where a NAT box between client and server loses the flow."""

from __future__ import annotations

from sshlab.job import Job
from sshlab.netns import NatBox

ALIVE = {"ClientAliveInterval": "1", "ClientAliveCountMax": "2"}
CLIENT_ALIVE = ["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2"]


def nat_silent_drop(job: Job) -> None:
    """The router silently drops an established, idle flow; both keepalives time out."""
    with NatBox(job) as nat:
        server = job.sshd(ALIVE)
        client = job.ssh_start("sleep 60", extra=CLIENT_ALIVE)
        server.wait_session(15)
        nat.drop_flow()
        job.wait_exit(client, 30)
        server.wait_no_sessions(30)
        job.act("server side of the session is gone")


def nat_reset(job: Job) -> None:
    """The router answers the flow's packets with TCP resets (a NAT that forgot it)."""
    with NatBox(job) as nat:
        server = job.sshd(ALIVE)
        client = job.ssh_start("sleep 60", extra=CLIENT_ALIVE)
        server.wait_session(15)
        nat.reset_flow()
        job.wait_exit(client, 30)
        server.wait_no_sessions(30)
        job.act("server side of the session is gone")
