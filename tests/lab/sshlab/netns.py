"""A "NAT box": client and server namespaces joined through a masquerading router.

Three network namespaces per job (server, router, client) are joined by veth pairs; the
router forwards and masquerades, so the server sees the router's address. Dropping or
rejecting the flow on the router then behaves like a NAT gateway that forgot it. tc netem
is not available on every kernel, so only nftables rules are used.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading

from sshlab.job import Job

_lock = threading.Lock()
_ids = itertools.count(1)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def netns_unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None when they can."""
    name = f"lab-probe-{os.getpid()}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.CalledProcessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        return f"ip netns add failed: {err.decode(errors='replace').strip() or exc}"
    _ip("netns", "del", name)
    return None


class NatBox:
    """Server, router and client namespaces for one job; removed when the job ends."""

    def __init__(self, job: Job) -> None:
        with _lock:
            k = next(_ids) + (os.getpid() % 50) * 4
        self.job = job
        tag = f"{os.getpid() % 10000}x{k}"
        self.srv, self.rtr, self.cli = (f"lab{tag}{r}" for r in "src")
        self.server_ip = f"10.201.{k}.1"
        self.router_server_side = f"10.201.{k}.254"
        self.client_ip = f"10.202.{k}.2"
        self._k = k

    def __enter__(self) -> NatBox:
        self.job.cleanup(self.teardown)
        k, srv, rtr, cli = self._k, self.srv, self.rtr, self.cli
        for ns in (srv, rtr, cli):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", f"ls{k}", "netns", srv, "type", "veth", "peer", "name", f"lr{k}",
            "netns", rtr)  # fmt: skip
        _ip("link", "add", f"lc{k}", "netns", cli, "type", "veth", "peer", "name", f"lq{k}",
            "netns", rtr)  # fmt: skip
        for ns, dev, addr, gw in (
            (srv, f"ls{k}", f"{self.server_ip}/24", self.router_server_side),
            (cli, f"lc{k}", f"{self.client_ip}/24", f"10.202.{k}.254"),
            (rtr, f"lr{k}", f"{self.router_server_side}/24", None),
            (rtr, f"lq{k}", f"10.202.{k}.254/24", None),
        ):
            _ip("-n", ns, "addr", "add", addr, "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            if gw:
                _ip("-n", ns, "route", "add", "default", "via", gw)
        self.nft(f"""
table ip natbox {{
  chain post {{ type nat hook postrouting priority srcnat; oifname "lr{k}" masquerade; }}
  chain fw {{ type filter hook forward priority filter; policy accept; }}
}}""")
        subprocess.run(["ip", "netns", "exec", rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                       check=True)  # fmt: skip
        self.job.server_addr = self.server_ip
        self.job.server_prefix = ["ip", "netns", "exec", srv]
        self.job.client_prefix = ["ip", "netns", "exec", cli]
        self.job.addr = self.client_ip
        self.job.port = 22  # the router's rules match the ssh port
        self.job.extra_addrs.append(self.router_server_side)
        self.job.act(f"NAT box up: client {self.client_ip} -> router (masquerade as "
                     f"{self.router_server_side}) -> server {self.server_ip}")  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        """Teardown happens with the job's cleanup (after sshd and ssh are stopped)."""

    def nft(self, script: str) -> None:
        """Apply an nftables script inside the router namespace."""
        subprocess.run(["ip", "netns", "exec", self.rtr, "nft", "-f", "-"], input=script.encode(),
                       check=True, capture_output=True)  # fmt: skip

    def drop_flow(self) -> None:
        """Silently drop the ssh flow both ways, like a NAT that forgot it."""
        self.job.act("router: drop tcp port 22 both ways")
        self.nft("add rule ip natbox fw tcp dport 22 drop\nadd rule ip natbox fw tcp sport 22 drop")

    def reset_flow(self) -> None:
        """Answer the flow's packets with TCP resets, both ways."""
        self.job.act("router: reject tcp port 22 with tcp reset both ways")
        self.nft(
            "add rule ip natbox fw tcp dport 22 reject with tcp reset\n"
            "add rule ip natbox fw tcp sport 22 reject with tcp reset"
        )

    def teardown(self) -> None:
        """Delete the three namespaces (their veth pairs go with them)."""
        for ns in (self.cli, self.rtr, self.srv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
