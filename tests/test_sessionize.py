"""Sessionizer: connections joined across pids, hosts and versions, with known truth."""

from __future__ import annotations

import pytest

from logsleuth import api
from tests.synth import Log, brute, info_session, probe, verbose_session


def scan(log: Log, tmp_path, rfc3164: bool = False, **kw):
    path = log.write(tmp_path / "auth.log", rfc3164)
    return api.scan([str(path)], year=2026, **kw)


def only(report, **where):
    hits = [c for c in report.connections if all(getattr(c, k) == v for k, v in where.items())]
    assert len(hits) == 1, (where, [(c.host, c.client_port, c.family) for c in hits])
    return hits[0]


@pytest.mark.parametrize(
    "end,family,cause",
    [
        ("clean", "clean-exit", None),
        ("reset", "network-drop", "network-drop/reset"),
        ("tcp-timeout", "network-drop", "network-drop/tcp-timeout"),
        ("keepalive", "keepalive-timeout", "keepalive-timeout/client-alive"),
        ("closed", "network-drop", None),
    ],
)
def test_verbose_98_session_joined_across_monitor_and_child(tmp_path, end, family, cause):
    log = Log()
    verbose_session(log, 0, "bastion", 500, 507, "198.51.100.7", 50122, "alice", end, 600)
    c = only(scan(log, tmp_path), client_port=50122)
    assert (c.family, c.authenticated, c.user, c.method) == (family, True, "alice", "publickey")
    if cause:
        assert c.cause == cause
    assert set(c.pids) == {500, 507}
    assert c.duration_s == pytest.approx(600, abs=0.05)
    assert len(c.evidence) >= 6
    assert [e.line for e in c.evidence] == sorted(e.line for e in c.evidence)


def test_info_97_session_joined_by_address_without_link_line(tmp_path):
    log = Log()
    info_session(log, 0, "web01", 300, 301, "203.0.113.9", 40000, "bob", "keepalive", 900)
    c = only(scan(log, tmp_path, rfc3164=True), client_port=40000)
    assert (c.family, c.user, c.authenticated) == ("keepalive-timeout", "bob", True)
    assert c.duration_s == pytest.approx(900, abs=1)


def test_pid_reuse_makes_two_connections(tmp_path):
    log = Log()
    info_session(log, 0, "web01", 300, 301, "203.0.113.9", 40000, "bob", "clean", 60)
    info_session(log, 3600, "web01", 300, 301, "203.0.113.10", 40001, "carol", "keepalive", 60)
    r = scan(log, tmp_path)
    assert only(r, client_port=40000).family == "clean-exit"
    assert only(r, client_port=40001).family == "keepalive-timeout"
    assert only(r, client_port=40001).user == "carol"


def test_hosts_interleaved_with_the_same_pids_stay_apart(tmp_path):
    log = Log()
    verbose_session(log, 0, "a", 500, 501, "198.51.100.7", 50000, "alice", "clean", 100)
    verbose_session(log, 1, "b", 500, 501, "198.51.100.7", 50000, "alice", "reset", 100)
    r = scan(log, tmp_path)
    assert only(r, host="a").family == "clean-exit"
    assert only(r, host="b").family == "network-drop"
    assert {h.host for h in r.hosts} == {"a", "b"}


def test_lines_of_one_second_out_of_order(tmp_path):
    log = Log()
    ip, port = "192.0.2.5", 41000
    # The child's lines are logged before the monitor's Accepted in the same second.
    log.add(10.0, "h", "sshd", 71, f"Disconnected from user dan {ip} port {port}")
    log.add(10.0, "h", "sshd", 70, f"Accepted publickey for dan from {ip} port {port} ssh2")
    log.add(
        10.0, "h", "sshd", 71, f"Received disconnect from {ip} port {port}:11: disconnected by user"
    )
    c = only(scan(log, tmp_path), client_port=port)
    assert (c.family, c.authenticated, c.user) == ("clean-exit", True, "dan")


def test_connection_begun_before_the_log_and_one_still_open(tmp_path):
    log = Log()
    log.add(
        5, "h", "sshd", 81, "Received disconnect from 192.0.2.6 port 41001:11: disconnected by user"
    )
    log.add(5, "h", "sshd", 81, "Disconnected from user erin 192.0.2.6 port 41001")
    info_session(log, 10, "h", 90, 91, "192.0.2.7", 41002, "frank", "open", 0)
    r = scan(log, tmp_path)
    early = only(r, client_port=41001)
    assert (early.family, early.user) == ("clean-exit", "erin")
    still = only(r, client_port=41002)
    assert (still.family, still.end, still.duration_s) == ("open", None, None)


def test_pam_close_without_disconnect_is_unknown_and_signal_makes_it_shutdown(tmp_path):
    log = Log()
    info_session(log, 0, "h", 90, 91, "192.0.2.8", 41003, "gina", "pam-only", 50)
    info_session(log, 100, "h", 92, 93, "192.0.2.9", 41004, "hal", "pam-only", 400)
    log.add(500, "h", "sshd", 1, "Received signal 15; terminating.")
    r = scan(log, tmp_path)
    assert only(r, client_port=41003).family == "unknown"
    assert only(r, client_port=41003).note
    assert only(r, client_port=41004).family == "server-shutdown"


def test_failed_auth_then_preauth_close_is_auth_failure(tmp_path):
    log = Log()
    brute(log, 0, "h", 60, "203.0.113.50", 50500, "admin")
    probe(log, 100, "h", 61, "203.0.113.51", 50501)
    r = scan(log, tmp_path)
    c = only(r, client_port=50500)
    assert (c.family, c.failures, c.user, c.authenticated) == ("auth-failure", 3, "admin", False)
    assert only(r, client_port=50501).family == "preauth-probe"


def test_listener_grace_timeout_98_ends_the_session_process(tmp_path):
    log = Log()
    log.add(
        0,
        "h",
        "sshd-session",
        700,
        'Connection from 192.0.2.20 port 42000 on 10.0.0.1 port 22 rdomain ""',
    )
    # 9.8 swapped the addresses (local first); 9.9+ puts the client first.
    log.add(
        120,
        "h",
        "sshd",
        1,
        "Timeout before authentication for connection from 10.0.0.1 to 192.0.2.20, pid = 700",
    )
    log.add(
        200,
        "h",
        "sshd-session",
        701,
        'Connection from 192.0.2.21 port 42001 on 10.0.0.1 port 22 rdomain ""',
    )
    log.add(
        320,
        "h",
        "sshd",
        1,
        "Timeout before authentication for connection from "
        "192.0.2.21 to 10.0.0.1, pid = 701 (sending config)",
    )
    r = scan(log, tmp_path)
    for port in (42000, 42001):
        c = only(r, client_port=port)
        assert c.family == "server-limit"
        assert "grace" in c.cause
        assert c.duration_s == pytest.approx(120, abs=0.1)


def test_maxstartups_drop_is_a_connection_with_the_port_of_the_drop_line(tmp_path):
    log = Log()
    log.add(
        0,
        "h",
        "sshd",
        1,
        "drop connection #10 from [192.0.2.30]:43000 on [10.0.0.1]:22 past Maxstartups",
    )
    log.add(
        1,
        "h",
        "sshd",
        1,
        "drop connection #11 from [2001:db8::7]:43001 on [::1]:22 penalty: failed authentication",
    )
    r = scan(log, tmp_path)
    c = only(r, client_port=43000)
    assert (c.family, c.client_ip) == ("server-limit", "192.0.2.30")
    c6 = only(r, client_port=43001)
    assert (c6.family, c6.client_ip) == ("server-limit", "2001:db8::7")
    assert "penalty" in c6.cause
