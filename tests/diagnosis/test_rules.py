"""Cross-connection diagnosis rules: each has a case that fires and a near-case that must not."""

from __future__ import annotations

import random

from logsleuth import api
from tests.synth import Log, brute, probe, verbose_session


def scan(log: Log, tmp_path, **kw):
    return api.scan([str(log.write(tmp_path / "auth.log"))], year=2026, **kw)


def findings(report, rule):
    return [f for f in report.findings if f.rule == rule]


def advice(report, aid):
    return [a for a in report.advice if a.id == aid]


def sessions(log, n, *, ips, start, gap, dur, end, host="h", pid0=1000, port0=50000):
    for i in range(n):
        d = dur(i) if callable(dur) else dur
        verbose_session(
            log,
            start + i * gap,
            host,
            pid0 + 2 * i,
            pid0 + 2 * i + 1,
            ips[i % len(ips)],
            port0 + i,
            f"u{i}",
            end,
            d,
        )


def test_burst_across_clients_fires(tmp_path):
    log = Log()
    ips = ["198.51.100.1", "203.0.113.2", "192.0.2.3", "198.51.100.4"]
    # Sessions began at different times but all died within 30 s of one moment.
    for i in range(6):
        verbose_session(
            log,
            i * 500,
            "h",
            1000 + 2 * i,
            1001 + 2 * i,
            ips[i % 4],
            50000 + i,
            f"u{i}",
            "reset",
            5000 - i * 500 + i * 5,
        )
    r = scan(log, tmp_path)
    (f,) = findings(r, "burst")
    assert f.numbers["count"] == 6 and f.numbers["clients"] == 4
    assert f.evidence
    assert advice(r, "network-event")


def test_burst_near_case_same_drops_spread_over_hours(tmp_path):
    log = Log()
    ips = ["198.51.100.1", "203.0.113.2", "192.0.2.3", "198.51.100.4"]
    sessions(log, 6, ips=ips, start=0, gap=3600, dur=300, end="reset")
    assert findings(scan(log, tmp_path), "burst") == []


def test_one_client_network_dropping_repeatedly_fires(tmp_path):
    log = Log()
    sessions(
        log,
        4,
        ips=["10.9.9.5", "10.9.9.6"],
        start=0,
        gap=3600,
        dur=lambda i: 200 + 97 * i,
        end="tcp-timeout",
    )
    sessions(
        log,
        4,
        ips=["192.0.2.77"],
        start=100,
        gap=3600,
        dur=120,
        end="clean",
        pid0=5000,
        port0=51000,
    )
    r = scan(log, tmp_path)
    (f,) = findings(r, "repeat-client")
    assert f.numbers["network"] == "10.9.9.0/24" and f.numbers["count"] == 4
    assert advice(r, "client-path")


def test_repeat_near_case_drops_from_unrelated_networks(tmp_path):
    log = Log()
    sessions(
        log,
        4,
        ips=["10.1.0.5", "10.2.0.5", "10.3.0.5", "10.4.0.5"],
        start=0,
        gap=3600,
        dur=lambda i: 200 + 97 * i,
        end="tcp-timeout",
    )
    assert findings(scan(log, tmp_path), "repeat-client") == []


def test_session_lengths_clustering_at_a_middlebox_limit(tmp_path):
    log = Log()
    rng = random.Random(7)
    ips = [f"198.51.{i}.10" for i in range(10)]
    sessions(
        log,
        10,
        ips=ips,
        start=0,
        gap=4000,
        dur=lambda i: 900 + rng.uniform(-3, 3),
        end="tcp-timeout",
    )
    r = scan(log, tmp_path)
    (f,) = findings(r, "idle-limit")
    assert f.numbers["count"] == 10
    assert 895 <= f.numbers["limit_s"] <= 905
    assert f.numbers["keepalive_s"] == 300
    (a,) = advice(r, "path-idle-limit")
    assert "ServerAliveInterval 300" in (a.snippet or "")
    assert "15m00s" in a.title
    assert not advice(r, "breaks-not-idles")


def test_no_cluster_when_sessions_die_at_random_ages(tmp_path):
    log = Log()
    rng = random.Random(3)
    ips = [f"198.51.{i}.10" for i in range(10)]
    sessions(
        log, 10, ips=ips, start=0, gap=40000, dur=lambda i: rng.uniform(60, 20000), end="reset"
    )
    r = scan(log, tmp_path)
    assert findings(r, "idle-limit") == []
    assert advice(r, "breaks-not-idles")


def test_health_check_at_a_regular_interval(tmp_path):
    log = Log()
    for i in range(20):
        probe(log, i * 30, "h", 2000 + i, "10.0.0.250", 60000 + i)
    r = scan(log, tmp_path)
    (f,) = findings(r, "health-check")
    assert f.numbers["ip"] == "10.0.0.250" and f.numbers["interval"] == "30s"
    assert f.numbers["private"] is True
    (a,) = advice(r, "health-check")
    assert "ignoreip = 127.0.0.1/8 ::1 10.0.0.250" in (a.snippet or "")


def test_health_check_near_cases_irregular_or_attacking(tmp_path):
    log = Log()
    rng = random.Random(5)
    t = 0.0
    for i in range(20):
        t += rng.uniform(5, 600)
        probe(log, t, "h", 2000 + i, "203.0.113.99", 60000 + i)
    for i in range(20):
        probe(log, 100000 + i * 30, "h", 3000 + i, "203.0.113.66", 61000 + i)
    for i in range(2):
        brute(log, 200000 + i * 50, "h", 4000 + i, "203.0.113.66", 62000 + i, "root")
    assert findings(scan(log, tmp_path), "health-check") == []


def test_password_guessing_is_one_item_over_hosts_and_its_near_case(tmp_path):
    log = Log()
    for i in range(12):
        brute(log, i * 20, "h", 3000 + i, "203.0.113.13", 55000 + i, f"user{i}")
    for i in range(5):
        brute(log, 1000 + i * 20, "g", 4000 + i, "203.0.113.14", 56000 + i, "root")
    r = scan(log, tmp_path)
    (f,) = findings(r, "password-guessing")
    assert f.hosts == ("g", "h")
    assert f.numbers["addresses"] == "2 addresses" and f.numbers["attempts"] == 51
    assert f.numbers["top"].startswith("203.0.113.13 (12 connections)")
    (a,) = advice(r, "brute-force")
    assert a.title == "Password guessing from 2 addresses on 2 hosts"
    near = Log()
    for i in range(9):
        brute(near, i * 20, "h", 3000 + i, "203.0.113.13", 55000 + i, f"user{i}")
    assert findings(scan(near, tmp_path), "password-guessing") == []


def test_maxstartups_advice_uses_the_observed_peak(tmp_path):
    log = Log()
    # 14 connections hang before authenticating, overlapping; then drops.
    for i in range(14):
        log.add(
            i,
            "h",
            "sshd-session",
            7000 + i,
            f'Connection from 203.0.113.{i} port {57000 + i} on 10.0.0.1 port 22 rdomain ""',
        )
        log.add(
            100 + i,
            "h",
            "sshd-session",
            7000 + i,
            f"Connection closed by 203.0.113.{i} port {57000 + i} [preauth]",
        )
    for i in range(3):
        log.add(
            20 + i,
            "h",
            "sshd",
            1,
            f"drop connection #{14 + i} from [192.0.2.{i}]:"
            f"{58000 + i} on [10.0.0.1]:22 past Maxstartups",
        )
    r = scan(log, tmp_path)
    (f,) = [f for f in findings(r, "limit") if "maxstartups" in str(f.numbers["cause"])]
    # sshd's own count (drop connection #16), not what the sessionizer saw open.
    assert f.numbers["peak"] == 16 and f.numbers["start"] == 24
    (a,) = advice(r, "maxstartups")
    assert "from 10:30:100 (the default) to 24:30:100" in a.title
    assert "MaxStartups 24:30:100" in (a.snippet or "")


def test_silence_window_from_sshd_config(tmp_path):
    log = Log()
    sessions(
        log,
        3,
        ips=["198.51.100.8"],
        start=0,
        gap=10000,
        dur=lambda i: 100 + 1000 * i,
        end="keepalive",
    )
    cfg = tmp_path / "sshd_config"
    cfg.write_text(
        "ClientAliveInterval 60\nClientAliveCountMax 3\nMatch User x\n  ClientAliveInterval 5\n"
    )
    r = scan(log, tmp_path, sshd_config=str(cfg))
    (f,) = findings(r, "silence-window")
    assert f.numbers["window"] == "3m00s" and f.numbers["count"] == 3
    assert findings(scan(log, tmp_path), "silence-window") == []
