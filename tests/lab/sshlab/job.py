"""One run of one scenario in one logging mode: its sshd, clients, actions and cleanup."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sshlab import eframe, procs
from sshlab.env import SSHD, USER, LabEnv

#: Logging modes: sshd writes its own file with ``-E``, or logs to /dev/log (rsyslog).
MODES = ("E", "syslog")

BASE_CONFIG = """\
Port {port}
ListenAddress {listen}
HostKey {keys}/host_ed25519
HostKey {keys}/host_rsa
PidFile {dir}/sshd.pid
LogLevel VERBOSE
SyslogFacility AUTH
UsePAM yes
KbdInteractiveAuthentication no
PasswordAuthentication yes
PubkeyAuthentication yes
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
"""


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is true; raise TimeoutError naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Sshd:
    """A private sshd listener started by a job."""

    def __init__(self, job: Job, proc: subprocess.Popen[bytes]) -> None:
        self.job = job
        self.proc = proc
        self.pid = proc.pid

    def sessions(self) -> list[int]:
        """Pids of the per-connection processes (monitors and user children)."""
        return procs.descendants(self.pid)

    def user_children(self) -> list[int]:
        """Per-connection processes that run as the test user (post-auth)."""
        uid = pwd.getpwnam(USER).pw_uid
        return [p for p in self.sessions() if _uid(p) == uid]

    def wait_session(self, timeout: float = 10.0) -> None:
        """Wait until a session has authenticated (its user child exists)."""
        wait_for(self.user_children, timeout, "an authenticated session")
        time.sleep(0.3)  # let the session start its command

    def wait_no_sessions(self, timeout: float) -> None:
        """Wait until every per-connection process has exited."""
        wait_for(lambda: not self.sessions(), timeout, "the sessions to end")

    def stop(self) -> None:
        """SIGTERM the listener (by pid) and stop whatever it left behind."""
        if self.proc.poll() is None:
            self.job.act(f"SIGTERM sshd listener pid {self.pid}")
        procs.reap(self.proc)


def _uid(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


class Job:
    """The run of one scenario in one mode; a context manager that stops everything."""

    def __init__(self, env: LabEnv, scenario: str, mode: str, base: Path) -> None:
        self.env = env
        self.scenario = scenario
        self.mode = mode
        self.dir = base / scenario / mode
        self.dir.mkdir(parents=True, exist_ok=True)
        self.addr = env.client_address()
        self.server_addr = "127.0.0.1"
        self.port = env.free_port()
        self.server_prefix: list[str] = []
        """Command prefix that runs sshd elsewhere (``ip netns exec NS``)."""
        self.client_prefix: list[str] = []
        self.listener_pids: list[int] = []
        self.raw_ports: list[int] = []
        self.extra_addrs: list[str] = []
        """Further addresses the server sees this job's clients as (e.g. a NAT box)."""
        self.clients: list[str] = []
        self.actions: list[tuple[datetime, str]] = []
        self.start = datetime.now(UTC)
        self.end = self.start
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Job:
        self.start = datetime.now(UTC)
        self._stack.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stack.close()
        finally:
            self.end = datetime.now(UTC)
            lines = [f"{ts.isoformat()} {text}" for ts, text in self.actions]
            (self.dir / "actions.txt").write_text("\n".join(lines) + "\n")

    def act(self, text: str) -> None:
        """Record an action with its time."""
        self.actions.append((datetime.now(UTC), text))

    def cleanup(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` when the job ends (last registered runs first)."""
        self._stack.callback(fn)

    # -- server -------------------------------------------------------------------------
    def sshd(self, options: Mapping[str, str] | None = None, host_keys: Sequence[str] = ()) -> Sshd:
        """Write this job's sshd_config (base + ``options``) and start sshd on it."""
        text = BASE_CONFIG.format(
            port=self.port, listen=self.server_addr, keys=self.env.keys, dir=self.dir
        )
        if host_keys:  # replace the host keys (-o HostKey would only add one)
            lines = [ln for ln in text.splitlines() if not ln.startswith("HostKey ")]
            lines += [f"HostKey {self.env.keys}/{k}" for k in host_keys]
            text = "\n".join(lines) + "\n"
        text += "".join(f"{k} {v}\n" for k, v in (options or {}).items())
        cfg = self.dir / "sshd_config"
        cfg.write_text(text)
        pidfile = self.dir / "sshd.pid"
        pidfile.unlink(missing_ok=True)
        cmd = [*self.server_prefix, SSHD, "-D", "-f", str(cfg)]
        if self.mode == "E":
            log = self.dir / "server-E.log"
            cmd += ["-E", str(log)]
            tail = eframe.Tail(log)
            tail.start()
            times = self.dir / "server-E.times"
            self.cleanup(
                lambda: times.write_text("".join(f"{t.isoformat()}\n" for t in tail.finish()))
            )
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        server = Sshd(self, proc)
        self.cleanup(server.stop)
        self.act(f"start sshd pid {proc.pid}: {' '.join(cmd[len(self.server_prefix) :])}")
        # The pid file is written once the listening socket is bound.
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 10, "sshd to listen")
        if self.server_prefix:  # `ip netns exec` execs sshd, so the pid is the listener's
            wait_for(lambda: int(pidfile.read_text()) == proc.pid, 5, "sshd pid file")
        self.listener_pids.append(proc.pid)
        return server

    # -- clients ------------------------------------------------------------------------
    def ssh_command(
        self, command: str = "", key: str = "id_good", user: str = USER, *extra: str
    ) -> list[str]:
        """The argv of a verbose ssh client with the job's own known_hosts and key."""
        argv = [*self.client_prefix, "ssh", "-vvv", "-F", "none", "-p", str(self.port)]
        if not self.client_prefix:
            argv += ["-b", self.addr]
        argv += [
            "-o", f"UserKnownHostsFile={self.dir / 'known_hosts'}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=5",
            "-i", str(self.env.keys / key),
            *extra,
            f"{user}@{self.server_addr}",
        ]  # fmt: skip
        if command:
            argv.append(command)
        return argv

    def ssh_start(
        self,
        command: str = "",
        key: str = "id_good",
        user: str = USER,
        extra: Sequence[str] = (),
        password: str | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start an ``ssh -vvv`` client; its stderr goes to client[-N].txt."""
        argv = self.ssh_command(command, key, user, *extra)
        env = dict(os.environ)
        if password is None:
            argv[argv.index("-vvv") + 1 : argv.index("-vvv") + 1] = ["-o", "BatchMode=yes"]
        else:  # no tty: the password comes from an askpass program, in a new session
            env.update(SSH_ASKPASS=str(self.env.keys / password), SSH_ASKPASS_REQUIRE="force")
            env.pop("DISPLAY", None)
            argv = ["setsid", "-w", *argv]
        name = "client.txt" if not self.clients else f"client-{len(self.clients) + 1}.txt"
        self.clients.append(name)
        with open(self.dir / name, "wb") as err:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env
            )
        self.cleanup(lambda: procs.reap(proc))
        self.act(f"start ssh pid {proc.pid} ({name}): {' '.join(argv)}")
        return proc

    def ssh(self, command: str = "", timeout: float = 20, **kw: object) -> int:
        """Run an ssh client to completion; return its exit status."""
        proc = self.ssh_start(command, **kw)  # type: ignore[arg-type]
        rc = proc.wait(timeout)
        self.act(f"ssh pid {proc.pid} exited with {rc}")
        return rc

    def wait_exit(self, proc: subprocess.Popen[bytes], timeout: float) -> int:
        """Wait for a client to exit and record its status."""
        rc = proc.wait(timeout)
        self.act(f"ssh pid {proc.pid} exited with {rc}")
        return rc

    def signal(self, pids: Sequence[int], sig: signal.Signals, what: str) -> None:
        """Send a signal to the given pids and record it."""
        self.act(f"{sig.name} {what} pids {' '.join(map(str, pids))}")
        procs.signal_pids(pids, sig)

    def idle_socket(self) -> socket.socket:
        """A TCP connection to sshd that never sends a banner (closed when the job ends)."""
        sock = socket.socket()
        sock.bind((self.addr, 0))
        sock.connect((self.server_addr, self.port))
        port = int(sock.getsockname()[1])
        self.raw_ports.append(port)
        self.cleanup(sock.close)
        self.act(f"open idle TCP connection from {self.addr} port {port}")
        return sock
