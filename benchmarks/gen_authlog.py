"""Write a large, realistic auth.log for benchmarks (streaming, constant memory).

Usage::

    python benchmarks/gen_authlog.py [N] [OUT] [--seed S] [--precise] [--mix sample|real]
                                     [--noise SHARE]

N lines (default 1,000,000) to OUT (default benchmarks/data/auth-1M.log). The connection
stories are those of the bundled sample (sample_logs/sshstories.py) with fresh addresses,
ports, pids and times, over twelve servers of the sample's four OpenSSH profiles and a
backup client. ``--mix real`` is an internet-facing server's traffic (mostly brute force
and scanners, 15% of the lines from other programs: cron, sudo, kernel, systemd);
``--mix sample`` (the default) is the sample's (40% sessions, 2% other programs).
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sample_logs"))

from sshstories import Host, Profile, World  # noqa: E402

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
PROFILES = (
    Profile("OpenSSH 9.2p1 Debian 12", (9, 2), pam_env=True),
    Profile("OpenSSH 10.5p1", (10, 5), verbose=True, logind="quoted"),
    Profile("OpenSSH 7.4p1 RHEL 7", (7, 4), logind="none"),
    Profile("OpenSSH 9.6p1 Ubuntu 24.04", (9, 6), grace_fatal=True),
)
NOISE = (
    ("CRON", "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"),
    ("CRON", "pam_unix(cron:session): session closed for user root"),
    ("sudo", "pam_unix(sudo:session): session closed for user root"),
    ("kernel", "[UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.9 DST=10.0.0.10 PROTO=TCP DPT=23"),
    ("systemd", "Started session-c1.scope - Session c1 of User root."),
    (
        "polkitd",
        "Registered Authentication Agent for unix-process:4012:903 (system bus name :1.77)",
    ),
)
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "deploy", "ops", "backup", "gina")
BAD = ("admin", "test", "oracle", "ubuntu", "user", "postgres", "git", "pi", "guest", "support")
ENDS = ["clean"] * 14 + ["keepalive", "reset", "tcp-timeout", "peer-closed", "broken-pipe"]
ENDS += ["idle", "unknown", "mac", "proxy"]


class StreamSink:
    """Orders lines with a heap and writes those no later story can precede."""

    def __init__(self, out: TextIO, limit: int, precise: bool) -> None:
        self.out, self.limit, self.precise = out, limit, precise
        self.heap: list[tuple[float, int, str, str, int | None, str]] = []
        self.seq = self.written = 0
        self.last = START
        self._sec = -1
        self._stamp = ""

    def add(self, t: float, host: str, prog: str, pid: int | None, msg: str) -> None:
        """Queue one line."""
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, host, prog, pid, msg))

    def flush(self, before: float) -> None:
        """Write every queued line earlier than ``before`` (all of them for +inf)."""
        heap, out = self.heap, self.out
        while heap and heap[0][0] < before and self.written < self.limit:
            t, _, host, prog, pid, msg = heapq.heappop(heap)
            tag = f"{prog}[{pid}]" if pid is not None else prog
            out.write(f"{self.stamp(t)} {host} {tag}: {msg}\n")
            self.written += 1
            self.last = t

    def stamp(self, t: float) -> str:
        """The line's time stamp (cached per second for the RFC 3164 form)."""
        if self.precise:
            return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds")
        sec = int(t)
        if sec != self._sec:
            dt = datetime.fromtimestamp(sec, UTC)
            self._sec, self._stamp = sec, f"{MONTHS[dt.month - 1]} {dt.day:>2} {dt:%H:%M:%S}"
        return self._stamp


def ip(rng: random.Random, public: bool) -> str:
    """A client address: documentation ranges for the internet, 10/8 inside."""
    if public:
        return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
    return f"10.{rng.randint(0, 40)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


#: Connection kinds and their weights. ``sample`` is the bundled sample's mix (many
#: sessions); ``real`` is what an internet-facing server sees: mostly brute force and
#: scanners, few sessions (and, by default, 15% of lines from other programs).
MIXES: dict[str, dict[str, float]] = {
    "sample": {
        "session": 40,
        "brute": 30,
        "probe": 18,
        "negotiate": 3,
        "allow_users": 2,
        "grace": 2,
        "drop": 2,
        "root_refused": 1,
        "client": 2,
    },
    "real": {
        "session": 8,
        "brute": 52,
        "probe": 28,
        "negotiate": 4,
        "allow_users": 1,
        "grace": 3,
        "drop": 2,
        "root_refused": 1,
        "client": 1,
    },
}
NOISE_SHARE = {"sample": 0.02, "real": 0.15}
#: Failed logins per brute-force source: (fewest, most).
BRUTE_RUN = {"sample": (1, 6), "real": (1, 20)}


def story(
    w: World, rng: random.Random, t: float, servers: list[Host], client: Host, mix: str
) -> None:
    """One randomly chosen connection story starting at ``t``."""
    h = rng.choice(servers)
    kinds = MIXES[mix]
    kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
    if kind == "session":
        dur = min(max(rng.lognormvariate(6.5, 1.3), 5.0), 6 * 3600.0)
        w.session(
            h,
            t,
            ip(rng, rng.random() < 0.3),
            rng.choice(USERS),
            rng.choice(ENDS),
            dur,
            pty=rng.random() < 0.6,
        )
    elif kind == "brute":
        src = ip(rng, True)
        for _ in range(rng.randint(*BRUTE_RUN[mix])):
            t += rng.uniform(1, 20)
            if rng.random() < 0.15:
                w.auth_fail(h, t, src, "root", valid=True, tries=6, end="maxauth")
            else:
                w.auth_fail(
                    h, t, src, rng.choice(BAD), valid=False, end=rng.choice(("bye", "closed"))
                )
    elif kind == "probe":
        w.probe(h, t, ip(rng, rng.random() < 0.7), rng.choice(("banner", "banner", "kex", "bye")))
    elif kind == "negotiate":
        w.negotiate(
            h,
            t,
            ip(rng, False),
            "key exchange method",
            "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
        )
    elif kind == "allow_users":
        w.allow_users(h, t, ip(rng, True), rng.choice(BAD))
    elif kind == "grace":
        w.grace(h, t, ip(rng, True))
    elif kind == "drop":
        w.drop(h, t, ip(rng, True), rng.randint(10, 30))
    elif kind == "root_refused":
        w.root_refused(h, t, ip(rng, False))
    else:
        pick = rng.random()
        if pick < 0.3:
            w.client_connect(client, t, f"db{rng.randint(2, 9):02d}", "Connection refused")
        elif pick < 0.6:
            w.client_hostkey(client, t, f"nas{rng.randint(1, 9):02d}")
        else:
            w.client_server_timeout(client, t, h, "backup", rng.uniform(60, 3600))


def generate(
    n: int,
    out: TextIO,
    seed: int = 1,
    precise: bool = False,
    mix: str = "sample",
    noise_share: float | None = None,
) -> StreamSink:
    """Write ``n`` lines to ``out``; the sink tells how many and the last line's time."""
    share = NOISE_SHARE[mix] if noise_share is None else noise_share
    rng = random.Random(seed)
    sink = StreamSink(out, n, precise)
    w = World(rng, sink, truth=False)
    servers = [
        Host(f"{name}{i:02d}", f"10.0.{k}.{10 + i}", prof, rng, 1000 + 7919 * (4 * i + k))
        for i in range(1, 4)
        for k, (name, prof) in enumerate(
            zip(("web", "bastion", "db", "jump"), PROFILES, strict=True)
        )
    ]
    client = Host("backup01", "10.0.3.5", None, rng, 7000)
    t, noise = START, 0
    while sink.written < n:
        t += rng.expovariate(1 / 1.3)
        sink.flush(t)
        story(w, rng, t, servers, client, mix)
        # Unrelated lines: ``share`` of the file is not about ssh at all.
        while noise < sink.seq * share / (1 - share):
            h = rng.choice(servers)
            prog, msg = rng.choice(NOISE)
            pid = None if prog == "kernel" else h.new_pid()
            sink.add(t + rng.uniform(0, 1), h.name, prog, pid, msg)
            noise += 1
    sink.flush(float("inf"))
    return sink


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000, help="lines to write")
    ap.add_argument("out", nargs="?", type=Path, default=ROOT / "benchmarks/data/auth-1M.log")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--precise", action="store_true", help="RFC 3339 time stamps")
    ap.add_argument("--mix", choices=sorted(MIXES), default="sample", help="connection mix")
    ap.add_argument(
        "--noise", type=float, default=None, help="share of lines from other programs (0-0.5)"
    )
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as fh:
        sink = generate(args.n, fh, args.seed, args.precise, args.mix, args.noise)
    # Yearless stamps take their year from the file's mtime: the last line's time.
    os.utime(args.out, (sink.last, sink.last))
    print(f"wrote {sink.written} lines to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
