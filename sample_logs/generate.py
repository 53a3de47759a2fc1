"""Generate the bundled sample: auth.log, auth-precise.log and truth.json.

Deterministic (fixed seed, standard library only). Run from anywhere::

    python sample_logs/generate.py            # rewrite the files next to this script
    python sample_logs/generate.py --out DIR  # write them elsewhere (tests compare)

Five machines log to one central rsyslog over ~3.5 days (2026-10-30 06:00 to 2026-11-02
18:00 UTC); see README.md for who runs what and which story each family comes from.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sshstories import ENDINGS, Host, Profile, World  # noqa: E402

SEED = 20261030
HERE = Path(__file__).resolve().parent
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ts(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: float = 0.0) -> float:
    """Epoch seconds of a UTC wall time."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp() + s


START, END = ts(2026, 10, 30, 6), ts(2026, 11, 2, 18)
REBOOT, REBOOT_DOWN = ts(2026, 11, 1, 3, 10, 4.2), 96.0  # web01 kernel update


class Collector:
    """Keeps every line, then sorts them by time (stable for equal times)."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, int, str, str, int | None, str]] = []

    def add(self, t: float, host: str, prog: str, pid: int | None, msg: str) -> None:
        """Keep one line."""
        self.lines.append((round(t, 6), len(self.lines), host, prog, pid, msg))

    def sorted(self) -> list[tuple[float, int, str, str, int | None, str]]:
        """All lines in time order."""
        return sorted(self.lines, key=lambda x: (x[0], x[1]))


def render(lines: list[tuple[float, int, str, str, int | None, str]], precise: bool) -> str:
    """RFC 3164 (``Nov  3 06:25:01``) or rsyslog RFC 3339 framing of every line."""
    out = []
    for t, _, host, prog, pid, msg in lines:
        dt = datetime.fromtimestamp(t, UTC)
        if precise:
            stamp = dt.isoformat(timespec="microseconds")
        else:
            stamp = f"{MONTHS[dt.month - 1]} {dt.day:>2} {dt:%H:%M:%S}"
        tag = f"{prog}[{pid}]" if pid is not None else prog
        out.append(f"{stamp} {host} {tag}: {msg}\n")
    return "".join(out)


def iso(t: object) -> object:
    """An epoch time as ISO 8601 UTC with microseconds (None stays None)."""
    if not isinstance(t, float):
        return t
    return datetime.fromtimestamp(round(t, 6), UTC).isoformat(timespec="microseconds")


class Plan:
    """Stories to run, in start order, so that pids and session numbers grow with time."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, Callable[[], object]]] = []

    def at(self, t: float, fn: Callable[..., object], *args: object, **kw: object) -> None:
        """Run ``fn(host, t, *rest, **kw)`` when ``args`` starts with a host, else
        ``fn(t, *args, **kw)``, in time order."""

        def call() -> object:
            if args and isinstance(args[0], Host):
                return fn(args[0], t, *args[1:], **kw)
            return fn(t, *args, **kw)

        self.items.append((t, len(self.items), call))

    def run(self) -> None:
        """Run every story in start order."""
        for _, _, fn in sorted(self.items, key=lambda x: (x[0], x[1])):
            fn()


def build() -> tuple[str, str, dict[str, object], float]:
    """Both framings, the truth and the time of the last line."""
    rng = random.Random(SEED)
    sink = Collector()
    w = World(rng, sink)
    web = Host(
        "web01", "10.0.1.11", Profile("OpenSSH 9.2p1 Debian 12", (9, 2), pam_env=True), rng, 20000
    )
    bas = Host(
        "bastion",
        "10.0.0.10",
        Profile("OpenSSH 10.5p1", (10, 5), verbose=True, logind="quoted"),
        rng,
        91000,
    )
    db = Host(
        "db01", "10.0.2.21", Profile("OpenSSH 7.4p1 RHEL 7", (7, 4), logind="none"), rng, 3000
    )
    jump = Host(
        "jump01",
        "10.0.0.12",
        Profile("OpenSSH 9.6p1 Ubuntu 24.04", (9, 6), grace_fatal=True),
        rng,
        150000,
    )
    bak = Host("backup01", "10.0.3.5", None, rng, 7000)
    plan = Plan()
    pick = rng.choice

    def web_session(t: float, ip: str, user: str, kind: str, dur: float, **kw: object) -> None:
        # Sessions alive at the reboot die with it; none start while web01 is down.
        if REBOOT - 120 <= t < REBOOT + REBOOT_DOWN + 5:
            return
        if t < REBOOT < t + dur:
            kind, dur = "shutdown", REBOOT - t + rng.uniform(0.2, 0.6)
        plan.at(t, w.session, web, ip, user, kind, dur, **kw)  # type: ignore[arg-type]

    def duration() -> float:
        return min(max(rng.lognormvariate(7.0, 1.1), 25.0), 4 * 3600.0)

    users = {
        "bastion": [
            ("alice", "192.0.2.10"),
            ("bob", "192.0.2.10"),
            ("carol", "192.0.2.10"),
            ("ops", "203.0.113.45"),
            ("frank", "192.0.2.50"),
            ("henry", "2001:db8:4f1::25"),
            ("alice", "203.0.113.18"),
        ],
        "web01": [
            ("alice", "10.8.0.14"),
            ("bob", "10.8.0.22"),
            ("carol", "10.8.0.31"),
            ("frank", "10.8.0.40"),
            ("deploy", "10.0.7.20"),
            ("ops", "10.8.0.5"),
        ],
        "db01": [("dora", "10.8.0.17"), ("alice", "10.8.0.14"), ("ops", "10.8.0.5")],
        "jump01": [
            ("bob", "10.8.0.22"),
            ("carol", "10.8.0.31"),
            ("ops", "10.8.0.5"),
            ("gina", "10.8.0.23"),
        ],
    }
    endings = {
        "bastion": ["clean"] * 16 + ["peer-closed", "reset", "keepalive", "idle"],
        "web01": ["clean"] * 15 + ["keepalive", "broken-pipe", "unknown"],
        "db01": ["clean"] * 12 + ["keepalive", "unknown"],
        "jump01": ["clean"] * 15 + ["keepalive", "broken-pipe", "idle"],
    }
    sudo_cmds = [
        "/usr/bin/systemctl restart nginx",
        "/usr/bin/journalctl -u nginx -n 200",
        "/usr/bin/apt-get upgrade",
        "/usr/bin/tail -f /var/log/syslog",
    ]
    hosts = {"bastion": bas, "web01": web, "db01": db, "jump01": jump}
    base = {"bastion": 22, "web01": 16, "db01": 6, "jump01": 9}

    # 1. Everyday work: mostly clean exits, a few of each ordinary way to end.
    for day, weight in ((30, 1.0), (31, 0.3), (1, 0.25), (2, 1.0)):
        mo = 10 if day > 15 else 11
        for name, h in hosts.items():
            for _ in range(round(base[name] * weight)):
                t = ts(2026, mo, day, 7, 30) + rng.uniform(0, 11.5 * 3600)
                if t < START or t > END - 60:
                    continue
                user, ip = pick(users[name])
                kind = (
                    "peer-closed" if user == "frank" and name == "bastion" else pick(endings[name])
                )
                if user == "frank" and name == "web01":
                    kind = "peer-closed"  # PuTTY: at INFO on 9.2 nothing but PAM says so
                if user == "dora" and name == "db01" and rng.random() < 0.5:
                    kind = "unknown"  # PuTTY on 7.4
                dur = min(duration(), END - t - 30)
                kw: dict[str, object] = {}
                if name in ("web01", "db01") and rng.random() < 0.3:
                    kw["sudo"] = pick(sudo_cmds)
                if user == "dora":
                    kw["method"] = "gssapi-with-mic"
                if user == "deploy":
                    kw["pty"] = False
                if name == "web01":
                    web_session(t, ip, user, kind, dur, **kw)
                else:
                    plan.at(t, w.session, h, ip, user, kind, dur, **kw)

    # 2. CI deploys to web01 every two hours, short non-interactive commands.
    t = START + 17 * 60
    while t < END:
        web_session(
            t + rng.uniform(0, 20), "10.0.7.20", "deploy", "clean", rng.uniform(4, 40), pty=False
        )
        t += 7200

    # 3. Idle NAT: the branch office firewall forgets flows idle for 900 s; its sessions
    # die ~15 min in (Read error ... timed out on bastion, keepalive timeouts on web01).
    for i in range(18):
        h = bas if i % 9 < 5 else web
        t = pick([ts(2026, 10, 30, 8), ts(2026, 11, 2, 8)]) + rng.uniform(0, 9.4 * 3600)
        ip = f"198.51.100.{70 + rng.randint(0, 20)}"
        kind = "tcp-timeout" if h is bas and i != 3 else "keepalive"
        who = pick(["ivan", "judy", "karl", "lena"])
        if h is web:
            web_session(t, ip, who, kind, 900 + rng.uniform(-4, 4))
        else:
            plan.at(t, w.session, h, ip, who, kind, 900 + rng.uniform(-4, 4))

    # 4. The office uplink fails at 15:42 on Friday: sessions from the office egress and
    # the VPN drop within the same minute on three servers.
    burst = ts(2026, 10, 30, 15, 42, 8)
    for i in range(14):
        end = burst + rng.uniform(0, 48)
        h, kind = [(bas, "reset"), (web, "broken-pipe"), (jump, "broken-pipe"), (web, "keepalive")][
            i % 4
        ]
        user, ip = pick(users[h.name])
        t0 = end - rng.uniform(600, 9000)
        if h is web:
            web_session(t0, ip, user, kind, end - t0)
        else:
            plan.at(t0, w.session, h, ip, user, kind, end - t0)

    # 5. MaxStartups: a botnet holds 14 unauthenticated slots on the bastion, which then
    # drops newcomers (alice included, who gets in two minutes later).
    storm = ts(2026, 11, 1, 9, 40)
    bots = [f"203.0.113.{100 + i}" for i in range(30)]
    for i in range(14):
        plan.at(storm + i * 1.7, w.grace, bas, bots[i])
    for dt, ip in [(26.0, bots[20]), (27.5, "192.0.2.10"), (31.2, bots[21]), (33.9, bots[22])]:
        plan.at(storm + dt, w.drop, bas, ip, 14)
    plan.at(
        storm + 66,
        lambda t: w.emit(
            t,
            bas,
            "sshd",
            bas.listener,
            "Maxstartups logging rate-limited: additional 23 connections dropped",
        ),
    )
    plan.at(storm + 150, w.session, bas, "192.0.2.10", "alice", "clean", 1260.0)
    # ... and a smaller one on web01 with 9.2's throttling lines.
    st2 = ts(2026, 10, 31, 22, 13, 2)
    for i in range(10):
        plan.at(
            st2 - 14 + i * 1.3,
            w.auth_fail,
            web,
            f"192.0.2.{200 + i}",
            pick(["admin", "test", "ubuntu", "oracle"]),
            valid=False,
            end="closed",
            tries=1,
        )
    plan.at(
        st2,
        lambda t: w.emit(t, web, "sshd", web.listener, "error: beginning MaxStartups throttling"),
    )
    plan.at(st2 + 0.01, w.drop, web, "192.0.2.211", 10)
    plan.at(
        st2 + 72,
        lambda t: w.emit(
            t,
            web,
            "sshd",
            web.listener,
            "exited MaxStartups throttling after 00:01:12, 7 connections dropped",
        ),
    )

    # 6. Brute force everywhere; the bastion's PerSourcePenalties end one run.
    names = [
        "admin",
        "test",
        "oracle",
        "ubuntu",
        "user",
        "postgres",
        "git",
        "ftpuser",
        "pi",
        "guest",
        "support",
        "deploy",
    ]
    for h, waves in ((web, 7), (bas, 5), (db, 3), (jump, 3)):
        for _ in range(waves):
            t = START + rng.uniform(0, END - START - 3600)
            ip = f"{pick(['203.0.113', '192.0.2'])}.{rng.randint(120, 250)}"
            for _ in range(rng.randint(4, 12)):
                t += rng.uniform(3, 40)
                if rng.random() < 0.2:
                    plan.at(
                        t,
                        w.auth_fail,
                        h,
                        ip,
                        "root",
                        valid=True,
                        tries=6 if h is not db else 6,
                        end="maxauth",
                    )
                else:
                    plan.at(
                        t,
                        w.auth_fail,
                        h,
                        ip,
                        pick(names),
                        valid=False,
                        end=pick(["bye", "bye", "closed"]),
                    )
    pen = ts(2026, 10, 30, 21, 10, 3)
    for i in range(4):
        plan.at(pen + i * 4.1, w.auth_fail, bas, "203.0.113.77", pick(names), valid=False)
    plan.at(
        pen + 17,
        lambda t: w.emit(
            t,
            bas,
            "sshd",
            bas.listener,
            "srclimit_penalise: ipv4: "
            "new 203.0.113.77/32 active penalty of 15.000 seconds for penalty: failed "
            "authentication",
        ),
    )
    for i in range(3):
        plan.at(pen + 18 + i * 0.8, w.drop, bas, "203.0.113.77", 1, "failed authentication")
    plan.at(
        pen + 31,
        lambda t: w.emit(
            t,
            bas,
            "sshd",
            bas.listener,
            "PerSourcePenalties logging rate-limited: additional 9 connections dropped",
        ),
    )
    # Password guessing by a colleague, and a few keys nobody authorised.
    plan.at(
        ts(2026, 10, 30, 9, 12, 40),
        w.auth_fail,
        web,
        "10.8.0.31",
        "carol",
        valid=True,
        tries=2,
        end="closed",
    )
    plan.at(
        ts(2026, 11, 2, 10, 3, 5),
        w.auth_fail,
        jump,
        "10.8.0.23",
        "gina",
        valid=True,
        tries=1,
        end="closed",
        method="publickey",
    )

    # 7. LoginGraceTime: half-open clients on the bastion and on jump01 (9.6's fatal line).
    for t in (ts(2026, 10, 30, 11, 2, 9), ts(2026, 11, 2, 14, 31, 40)):
        plan.at(t, w.grace, bas, "198.51.100.201")
    for t in (ts(2026, 10, 31, 4, 44, 1), ts(2026, 11, 1, 19, 2, 30)):
        plan.at(t, w.grace, jump, "192.0.2.233")

    # 8. Probes: a load balancer health-checks web01:22 every 30 s for 2.5 h; a monitoring
    # port check on db01 every 5 min; internet scanners on the bastion.
    t = ts(2026, 11, 2, 9, 0, 11.3)
    while t < ts(2026, 11, 2, 11, 30):
        plan.at(t + rng.uniform(0, 0.05), w.probe, web, "10.0.5.4")
        t += 30
    t = ts(2026, 10, 30, 6, 3, 2)
    while t < ts(2026, 10, 30, 14):
        plan.at(t, w.probe, db, "10.0.5.9")
        t += 300
    for _ in range(40):
        t = START + rng.uniform(0, END - START)
        plan.at(
            t,
            w.probe,
            bas,
            f"{pick(['203.0.113', '192.0.2'])}.{rng.randint(2, 99)}",
            pick(["banner", "banner", "kex", "bye"]),
        )
    for _ in range(6):
        plan.at(
            START + rng.uniform(0, END - START),
            w.probe,
            jump,
            f"203.0.113.{rng.randint(2, 99)}",
            pick(["banner", "kex"]),
        )

    # 9. Negotiation failures: an old switch's nightly config backup, a legacy monitor,
    # and web scanners speaking HTTP to port 22.
    for d in (31, 1, 2):
        plan.at(
            ts(2026, 10 if d == 31 else 11, d, 1, 30, 2),
            w.negotiate,
            jump,
            "10.0.9.2",
            "key exchange method",
            "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
        )
    t = START + 1900
    while t < END:
        plan.at(t, w.negotiate, web, "10.0.9.7", "host key type", "ssh-rsa,ssh-dss")
        t += 4 * 3600
    for banner in ("GET / HTTP/1.1", "CONNECT example.com:443 HTTP/1.1", "GET / HTTP/1.0"):
        plan.at(
            START + rng.uniform(0, END - START),
            w.bad_banner,
            web,
            f"192.0.2.{rng.randint(2, 99)}",
            banner,
        )

    # 10. Access policy: AllowUsers on the bastion; root keys refused on web01.
    for t, user, ip in (
        (ts(2026, 10, 30, 10, 5, 1), "intern", "192.0.2.61"),
        (ts(2026, 10, 30, 10, 6, 30), "intern", "192.0.2.61"),
        (ts(2026, 11, 1, 16, 20, 9), "oracle", "203.0.113.150"),
        (ts(2026, 11, 2, 8, 55, 0), "deploy", "192.0.2.10"),
    ):
        plan.at(t, w.allow_users, bas, ip, user)
    for t in (ts(2026, 10, 30, 16, 1, 12), ts(2026, 10, 30, 16, 1, 40)):
        plan.at(t, w.root_refused, web, "10.8.0.14")

    # 11. Corrupted streams from a laptop with a broken NIC offload.
    plan.at(ts(2026, 10, 30, 13, 31, 7), w.session, jump, "10.8.0.23", "gina", "mac", 412.6)
    plan.at(ts(2026, 11, 2, 11, 4, 51), w.session, bas, "192.0.2.10", "gina", "mac", 95.2)

    # 12. web01 reboots on Sunday night: its long tmux sessions die with it.
    for user, ip, t in (
        ("alice", "10.8.0.14", ts(2026, 10, 31, 18, 2, 3)),
        ("ops", "10.8.0.5", ts(2026, 10, 31, 21, 40, 17)),
        ("bob", "10.8.0.22", ts(2026, 11, 1, 2, 55, 40)),
    ):
        web_session(t, ip, user, "clean", 40000.0)
    plan.at(REBOOT, w.shutdown, web, 580, REBOOT_DOWN)
    # The bastion's sshd is restarted for an upgrade: sessions survive it.
    plan.at(ts(2026, 10, 31, 10, 5, 31), w.restart_listener, bas)
    plan.at(ts(2026, 10, 31, 9, 40, 2), w.session, bas, "203.0.113.45", "ops", "clean", 3100.0)
    plan.at(ts(2026, 10, 31, 9, 58, 44), w.session, bas, "192.0.2.10", "bob", "clean", 1500.0)

    # 13. Still open at the end (and one tmux left running since Friday morning).
    plan.at(ts(2026, 10, 30, 8, 12, 9), w.session, bas, "203.0.113.45", "ops", "open", 1e6)
    for h, (user, ip) in (
        (bas, ("alice", "192.0.2.10")),
        (bas, ("carol", "192.0.2.10")),
        (web, ("bob", "10.8.0.22")),
        (db, ("dora", "10.8.0.17")),
        (jump, ("ops", "10.8.0.5")),
    ):
        t = ts(2026, 11, 2, 15) + rng.uniform(0, 2.8 * 3600)
        kw = {"method": "gssapi-with-mic"} if user == "dora" else {}
        plan.at(t, w.session, h, ip, user, "open", 1e6, **kw)

    # 14. db02 is being rebuilt: ProxyJump users hit it through jump01.
    for user, ip, t in (
        ("bob", "10.8.0.22", ts(2026, 11, 1, 14, 3, 12)),
        ("bob", "10.8.0.22", ts(2026, 11, 1, 14, 3, 40)),
        ("carol", "10.8.0.31", ts(2026, 11, 1, 15, 47, 2)),
    ):
        plan.at(t, w.session, jump, ip, user, "proxy", 0.4, pty=False, target="db02")
    # A session that dies on a failed keepalive reply (a real 9.2 wording).
    web_session(ts(2026, 10, 30, 19, 20, 5), "10.8.0.31", "carol", "reply-pipe", 2290.5)

    # 15. backup01's cron jobs run `ssh -y -o SyslogFacility=AUTH`: the client's own lines.
    for mo, day in ((10, 31), (11, 1), (11, 2)):
        t = ts(2026, mo, day, 2, 15, 1)
        plan.at(t, w.cron, bak, secs=1500.0)
        plan.at(
            t + 2, w.session, db, bak.addr, "backup", "clean", 600 + rng.uniform(0, 60), pty=False
        )
        web_session(t + 700, bak.addr, "backup", "clean", rng.uniform(100, 200), pty=False)
        plan.at(t + 950, w.client_hostkey, bak, "nas01")
        if day == 1:
            plan.at(t + 960, w.client_connect, bak, "db02", "Connection refused")
            plan.at(t + 975, w.client_connect, bak, "archive.example.net", "Connection timed out")
        if day == 2:
            plan.at(t + 980, w.client_proxy, bak, jump, "backup", "archive01")
            plan.at(
                t + 990,
                w.client_connect,
                bak,
                "backup-old.corp.example.net",
                "resolve:Temporary failure in name resolution",
            )
            plan.at(t + 1000, w.client_pipe, bak, web, "backup", 240.0)
    plan.at(
        ts(2026, 10, 30, 13, 5, 1), w.client_badperms, bak, web, "backup", "/root/.ssh/id_ed25519"
    )
    plan.at(ts(2026, 10, 31, 23, 5, 1), w.client_server_timeout, bak, db, "backup", 1822.0)

    # 16. Noise: hourly cron everywhere but the RHEL box (its cron logs elsewhere).
    for h in (web, bas, jump, bak):
        t = ts(2026, 10, 30, 6, 17, 1)
        while t < END:
            if h is not web or not REBOOT - 60 < t < REBOOT + REBOOT_DOWN:
                plan.at(t + rng.uniform(0, 0.3), w.cron, h)
            t += 3600

    plan.run()
    lines = sink.sorted()
    last = lines[-1][0]
    conns = sorted(w.conns, key=lambda c: (c["start"], c["host"], c["client_ip"], c["client_port"]))  # type: ignore[arg-type,return-value]
    for c in conns:
        c["start"], c["end"] = iso(c["start"]), iso(c["end"])
    clients = sorted(w.clients, key=lambda c: (c["time"], c["pid"]))  # type: ignore[arg-type,return-value]
    for c in clients:
        c["time"] = iso(c["time"])
    counts: dict[str, int] = {}
    for c in conns + clients:
        counts[str(c["family"])] = counts.get(str(c["family"]), 0) + 1
    truth = {
        "schema": "logsleuth.sample-truth/1",
        "seed": SEED,
        "files": ["auth.log", "auth-precise.log"],
        "hosts": {
            h.name: h.prof.label if h.prof else "client only (OpenSSH 9.2p1 ssh)"
            for h in (web, bas, db, jump, bak)
        },
        "families": dict(sorted(counts.items())),
        "connections": conns,
        "client_invocations": clients,
    }
    assert set(counts) >= {f for f, _ in ENDINGS.values()}
    return render(lines, False), render(lines, True), truth, last


def write(out: Path) -> None:
    """Write the three files into ``out`` (mtime = the last line, for year inference)."""
    plain, precise, truth, last = build()
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (("auth.log", plain), ("auth-precise.log", precise)):
        path = out / name
        path.write_text(text, encoding="utf-8")
        os.utime(path, (last, last))
    (out / "truth.json").write_text(dump_truth(truth), encoding="utf-8")


def dump_truth(truth: dict[str, object]) -> str:
    """JSON with one connection (or invocation) per line, so diffs stay readable."""
    parts = []
    for key, val in truth.items():
        if isinstance(val, list) and val and isinstance(val[0], dict):
            rows = ",\n".join("  " + json.dumps(row) for row in val)
            parts.append(f" {json.dumps(key)}: [\n{rows}\n ]")
        else:
            parts.append(f" {json.dumps(key)}: {json.dumps(val)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="directory to write into")
    write(ap.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
