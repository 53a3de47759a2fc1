"""The lab's prerequisites, test user, keys and address/port allocation."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

USER = "sleuth"
PASSWORD = "correct-horse-battery"
SSHD = "/usr/sbin/sshd"
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
#: Neutral directory the lab's temporary paths are rewritten to in saved captures.
NEUTRAL_ROOT = "/srv/lab"

_TOOLS = {
    "sshd": SSHD,
    "ssh": "ssh",
    "ssh-keygen": "ssh-keygen",
    "rsyslogd": "rsyslogd",
    "nft": "nft",
    "ip": "ip",
    "systemd-journal-remote": JOURNAL_REMOTE,
}


def missing_prerequisites() -> list[str]:
    """What the lab needs and this machine lacks (empty when the lab can run)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    missing += [name for name, exe in _TOOLS.items() if shutil.which(exe) is None]
    return missing


def sshd_version() -> str:
    """``sshd -V`` output (OpenSSH prints the version on stderr and exits non-zero)."""
    proc = subprocess.run([SSHD, "-V"], capture_output=True, text=True, check=False)
    return (proc.stderr or proc.stdout).strip()


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """Create an unencrypted key pair at ``path`` (and ``path``.pub)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "lab", "-f", str(path)], check=True
    )
    return path


@dataclass
class LabEnv:
    """Shared material for all scenarios of one run: keys, the test user, allocators."""

    root: Path

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._octets = itertools.count(10)
        self._ports: set[int] = set()

    @property
    def keys(self) -> Path:
        """Directory of host and client keys."""
        return self.root / "keys"

    def prepare(self) -> None:
        """Create keys, the privilege-separation directory and the test user."""
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        self.keys.mkdir(parents=True, exist_ok=True)
        for name in ("host_ed25519", "host_ed25519_other", "id_good", "id_wrong"):
            keygen(self.keys / name)
        keygen(self.keys / "host_rsa", "rsa")
        shutil.copy(self.keys / "id_good", self.keys / "id_open")
        os.chmod(self.keys / "id_open", 0o644)
        self._ensure_user()
        for script, password in (("askpass_good", PASSWORD), ("askpass_wrong", "wrong-pass")):
            path = self.keys / script
            path.write_text(f"#!/bin/sh\necho '{password}'\n")
            path.chmod(0o755)

    def _ensure_user(self) -> None:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True)
        subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)
        entry = pwd.getpwnam(USER)
        home = Path(entry.pw_dir)
        home.mkdir(mode=0o755, exist_ok=True)
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        auth = ssh_dir / "authorized_keys"
        auth.write_text((self.keys / "id_good.pub").read_text())
        # StrictModes: home, ~/.ssh and authorized_keys owned by the user, not group/world-writable.
        for path, mode in ((home, 0o755), (ssh_dir, 0o700), (auth, 0o600)):
            os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(path, mode)

    def client_address(self) -> str:
        """A loopback source address unique to one job, so its lines can be told apart."""
        with self._lock:
            n = next(self._octets)
        return f"127.0.{n // 250 + 1}.{n % 250 + 2}"

    def free_port(self) -> int:
        """A TCP port free on 127.0.0.1 and not handed out before in this run."""
        with self._lock:
            while True:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", 0))
                    port = int(sock.getsockname()[1])
                if port not in self._ports:
                    self._ports.add(port)
                    return port
