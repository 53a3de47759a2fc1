"""The real OpenSSH accepts what the advice tells people to paste.

Every sshd_config snippet and merged block for a host whose release may be 9.2 goes onto
a base configuration and through ``sshd -t -f`` (this machine's sshd; Debian 12 ships 9.2);
every client ``Host`` block through ``ssh -G -F``. Needs the openssh-server and -client
packages, not root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from logsleuth import api
from tests.advice.lint import facts_of, sshd_sections
from tests.synth import Log, brute, verbose_session

SSHD = "/usr/sbin/sshd"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not Path(SSHD).exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
    reason="needs sshd, ssh and ssh-keygen (openssh-server, openssh-client)",
)

BASE = """\
Port 2222
ListenAddress 127.0.0.1
HostKey {key}
PidFile {dir}/sshd.pid
LogLevel INFO
UsePAM yes
PasswordAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
"""


def _sshd_version() -> tuple[int, int]:
    out = subprocess.run([SSHD, "-V"], capture_output=True, text=True, check=False)
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", out.stderr or out.stdout)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def nine_two_log() -> Log:
    """A 9.2-like host: 9.2+ idle-timeout lines, 8.4-9.9 throttling lines, and trouble."""
    log = Log()
    for i in range(6):
        verbose_session(
            log,
            i * 4000,
            "deb12",
            100 + 2 * i,
            101 + 2 * i,
            f"198.51.{i}.10",
            42000 + i,
            f"u{i}",
            "tcp-timeout",
            900 + i,
            prog="sshd",
        )
    log.add(
        30000,
        "deb12",
        "sshd",
        9,
        "terminating inactive connection from user al 192.0.2.5 port 40000",
    )
    log.add(30001, "deb12", "sshd", 1, "error: beginning MaxStartups throttling")
    log.add(
        30002,
        "deb12",
        "sshd",
        1,
        "drop connection #10 from [203.0.113.5]:5000 on [10.0.0.1]:22 past MaxStartups",
    )
    log.add(
        30060,
        "deb12",
        "sshd",
        1,
        "exited MaxStartups throttling after 00:00:58, 17 connections dropped",
    )
    for i in range(12):
        brute(log, 40000 + i * 20, "deb12", 3000 + i, "203.0.113.13", 55000 + i, f"g{i}")
    return log


def _snippets(tmp_path: Path) -> list[tuple[str, str]]:
    """(where, sshd_config text) of every item and block for hosts that may run 9.2."""
    reports = [
        api.scan([str(nine_two_log().write(tmp_path / "deb12.log"))], year=2026),
        api.scan([str(ROOT / "sample_logs" / "auth.log")], year=2026),
    ]
    out = []
    for r in reports:
        facts = facts_of(r)
        for a in r.advice:
            for host, lines in sshd_sections(a.snippet):
                if _may_run_9_2(facts.get(host, {})):
                    out.append((f"{a.id} [{host}]", "\n".join(lines)))
        out += [
            (f"block {b.host}", b.sshd_config)
            for b in r.config
            if b.sshd_config and _may_run_9_2(facts.get(b.host, {}))
        ]
    return out


def _may_run_9_2(f: dict) -> bool:
    lo, hi = f.get("version_min"), f.get("version_max")
    return (lo is None or tuple(map(int, lo.split("."))) <= (9, 2)) and (
        hi is None or tuple(map(int, hi.split("."))) >= (9, 2)
    )


def test_the_9_2_like_host_gets_version_right_advice(tmp_path):
    r = api.scan([str(nine_two_log().write(tmp_path / "deb12.log"))], year=2026)
    f = facts_of(r)["deb12"]
    assert (f["version_min"], f["version_max"]) == ("9.2", "9.9")
    ids = {a.id for a in r.advice}
    assert {"maxstartups", "idle-policy", "brute-force", "path-idle-limit"} <= ids


def test_sshd_accepts_every_snippet_for_a_9_2_like_host(tmp_path):
    if _sshd_version() < (9, 2):
        pytest.skip("this machine's sshd is older than 9.2")
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    snippets = _snippets(tmp_path)
    assert len(snippets) >= 5
    for where, text in snippets:
        # Advice goes above any Match block: put it first, the base after.
        cfg = tmp_path / "sshd_config"
        cfg.write_text(text + "\n" + BASE.format(key=key, dir=tmp_path))
        res = subprocess.run([SSHD, "-t", "-f", str(cfg)], capture_output=True, text=True)
        assert res.returncode == 0, f"{where}: sshd -t refused it: {res.stderr}\n{text}"


def test_sshd_t_refuses_a_gated_option_uncommented(tmp_path):
    # near case: the same check catches what the guard prevents
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    cfg = tmp_path / "sshd_config"
    cfg.write_text("PerSourcePenalties authfail:30s\n" + BASE.format(key=key, dir=tmp_path))
    res = subprocess.run([SSHD, "-t", "-f", str(cfg)], capture_output=True, text=True)
    if _sshd_version() >= (9, 8):
        pytest.skip("this sshd knows PerSourcePenalties")
    assert res.returncode != 0


def test_ssh_accepts_every_client_host_block(tmp_path):
    r = api.scan([str(ROOT / "sample_logs" / "auth.log")], year=2026)
    blocks = [b for b in r.config if b.client_config]
    assert blocks
    for b in blocks:
        cfg = tmp_path / "config"
        cfg.write_text(b.client_config + "\n")
        res = subprocess.run(
            ["ssh", "-G", "-F", str(cfg), b.host], capture_output=True, text=True, check=False
        )
        assert res.returncode == 0, f"{b.host}: ssh -G refused it: {res.stderr}"
        want = next(
            line.split()[1]
            for line in b.client_config.splitlines()
            if line.strip().startswith("ServerAliveInterval")
        )
        assert f"serveraliveinterval {want}" in res.stdout
