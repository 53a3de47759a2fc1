"""Scenarios that end before or at authentication: keys, passwords, policy, negotiation."""

from __future__ import annotations

import time

from sshlab.env import USER
from sshlab.job import Job

PASSWORD_ONLY = [
    "-o", "PreferredAuthentications=password",
    "-o", "PubkeyAuthentication=no",
]  # fmt: skip


def _expect_fail(job: Job, rc: int) -> None:
    assert rc != 0, f"ssh unexpectedly succeeded ({rc})"


def wrong_key(job: Job) -> None:
    """The client offers only a key the server does not know."""
    job.sshd()
    _expect_fail(job, job.ssh("true", key="id_wrong"))


def wrong_password(job: Job) -> None:
    """Three wrong passwords (SSH_ASKPASS, forced, in a new session without a tty)."""
    job.sshd()
    _expect_fail(job, job.ssh("true", password="askpass_wrong", extra=PASSWORD_ONLY))


def invalid_user(job: Job) -> None:
    """A user that does not exist tries a key."""
    job.sshd()
    _expect_fail(job, job.ssh("true", user="nosuchuser"))


def max_auth_tries(job: Job) -> None:
    """More wrong passwords than MaxAuthTries allows."""
    job.sshd({"MaxAuthTries": "2"})
    extra = [*PASSWORD_ONLY, "-o", "NumberOfPasswordPrompts=5"]
    _expect_fail(job, job.ssh("true", password="askpass_wrong", extra=extra))


def unprotected_key(job: Job) -> None:
    """The client's private key is world-readable: ssh refuses to use it."""
    job.sshd()
    _expect_fail(job, job.ssh("true", key="id_open"))


def host_key_changed(job: Job) -> None:
    """known_hosts holds another key for the server: the client refuses to go on."""
    job.sshd(host_keys=["host_ed25519"])
    other = (job.env.keys / "host_ed25519_other.pub").read_text().split()
    (job.dir / "known_hosts").write_text(f"[127.0.0.1]:{job.port} {other[0]} {other[1]}\n")
    job.act("known_hosts holds a different ED25519 key for the server")
    _expect_fail(job, job.ssh("true"))


def kex_mismatch(job: Job) -> None:
    """Client and server share no key exchange algorithm."""
    job.sshd({"KexAlgorithms": "curve25519-sha256"})
    extra = ["-o", "KexAlgorithms=diffie-hellman-group14-sha256"]
    _expect_fail(job, job.ssh("true", extra=extra))


def deny_users(job: Job) -> None:
    """The user is listed in DenyUsers."""
    job.sshd({"DenyUsers": USER})
    _expect_fail(job, job.ssh("true"))


def allow_users(job: Job) -> None:
    """AllowUsers lists someone else."""
    job.sshd({"AllowUsers": "someoneelse"})
    _expect_fail(job, job.ssh("true"))


def max_startups(job: Job) -> None:
    """Two idle unauthenticated connections fill MaxStartups 2:100:2; ssh is dropped.

    OpenSSH 9.2 has no PerSourcePenalties (9.8+), so only the MaxStartups drop is logged.
    """
    job.sshd({"MaxStartups": "2:100:2", "LoginGraceTime": "30"})
    socks = [job.idle_socket() for _ in range(2)]
    time.sleep(0.5)
    _expect_fail(job, job.ssh("true"))
    for sock in socks:
        sock.close()
    job.act("closed the idle TCP connections without sending a banner")
    time.sleep(0.5)


def login_grace_time(job: Job) -> None:
    """An idle unauthenticated connection outlives LoginGraceTime and is cut by sshd."""
    server = job.sshd({"LoginGraceTime": "2"})
    sock = job.idle_socket()
    sock.settimeout(10)
    try:
        data = sock.recv(1024)  # the server's banner
        while data:
            data = sock.recv(1024)
    except ConnectionResetError:
        pass
    job.act("the server closed the idle connection")
    server.wait_no_sessions(5)
