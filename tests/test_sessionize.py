"""Sessionizer: connections joined across pids, hosts and versions, with known truth."""

from __future__ import annotations

from datetime import timedelta

import pytest

from logsleuth import api
from tests.synth import T0, Log, brute, info_session, probe, verbose_session


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


# --- keyed on the process (issue: real servers' logs) ---------------------------------


def test_lines_without_a_port_stay_with_their_own_pid(tmp_path):
    log = Log()
    ip = "203.0.113.60"
    # Process 100 logs its port-less lines first; process 102 (another connection of the
    # same attacker) starts while 100 is still open.
    log.add(
        0,
        "h",
        "sshd",
        100,
        f"Address {ip} maps to x.example, but this does not map back to the address"
        " - POSSIBLE BREAK-IN ATTEMPT!",
    )
    log.add(0, "h", "sshd", 100, f"Invalid user a from {ip}")
    log.add(1, "h", "sshd", 102, f"Invalid user b from {ip}")
    log.add(2, "h", "sshd", 100, f"Failed password for invalid user a from {ip} port 4000 ssh2")
    log.add(3, "h", "sshd", 102, f"Failed password for invalid user b from {ip} port 4002 ssh2")
    log.add(
        3,
        "h",
        "sshd",
        102,
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
        f"ruser= rhost={ip}",
    )
    r = scan(log, tmp_path)
    assert sorted(c.pids for c in r.connections) == [(100,), (102,)]
    a = only(r, client_port=4000)
    assert (a.user, a.failures, len(a.evidence)) == ("a", 1, 3)
    b = only(r, client_port=4002)
    assert (b.user, len(b.evidence)) == ("b", 3)


def test_reused_pid_after_an_end_line_or_a_login_is_a_new_connection(tmp_path):
    log = Log()
    log.add(0, "h", "sshd", 200, "Connection closed by 192.0.2.70 port 5000 [preauth]")
    # Same pid, same address, a minute later: the first process had ended.
    log.add(60, "h", "sshd", 200, "Connection closed by 192.0.2.70 port 5001 [preauth]")
    info_session(log, 100, "h", 300, 301, "192.0.2.71", 5002, "ann", "open", 0)
    # Forty hours later the monitor's pid fails a login from another address.
    log.add(40 * 3600, "h", "sshd", 300, "Invalid user x from 192.0.2.99 port 6000")
    log.add(
        40 * 3600 + 2,
        "h",
        "sshd",
        300,
        "Connection closed by invalid user x 192.0.2.99 port 6000 [preauth]",
    )
    r = scan(log, tmp_path)
    assert only(r, client_port=5000).family == "preauth-probe"
    assert only(r, client_port=5001).family == "preauth-probe"
    login = only(r, client_port=5002)
    assert (login.family, login.user, login.authenticated) == ("open", "ann", True)
    attack = only(r, client_port=6000)
    assert (attack.family, attack.authenticated) == ("auth-failure", False)


def test_old_child_without_port_links_to_its_monitor_by_fork_order(tmp_path):
    log = Log()
    log.add(0, "h", "sshd", 846, "Accepted publickey for f from 94.136.7.161 port 59190 ssh2")
    log.add(1, "h", "sshd", 848, "Received disconnect from 94.136.7.161: 11: disconnected by user")
    # A port-less line from another address is not that child.
    log.add(2, "h", "sshd", 850, "Received disconnect from 198.51.100.9: 11:  [preauth]")
    r = scan(log, tmp_path)
    s = only(r, client_port=59190)
    assert (s.family, s.pids) == ("clean-exit", (846, 848))
    assert only(r, client_ip="198.51.100.9").pids == (850,)


def test_unlogged_restart_ends_the_sessions_it_killed_and_not_the_survivors(tmp_path):
    log = Log()
    log.add(0, "h", "sshd", 900, "Server listening on 0.0.0.0 port 22.")
    info_session(log, 10, "h", 979, 980, "192.0.2.80", 7000, "ygh", "open", 0)
    info_session(log, 20, "h", 990, 991, "192.0.2.81", 7001, "zed", "open", 0)
    # A new listener pid and no stop line: the host went down.
    log.add(600, "h", "sshd", 969, "Server listening on 0.0.0.0 port 22.")
    # ...except that zed's session logs its clean end later: it survived.
    log.add(
        700,
        "h",
        "sshd",
        991,
        "Received disconnect from 192.0.2.81 port 7001:11: disconnected by user",
    )
    # The killed session's pid comes back after the boot.
    info_session(log, 900, "h", 979, 981, "192.0.2.80", 7002, "ygh", "clean", 30)
    r = scan(log, tmp_path)
    killed = only(r, client_port=7000)
    assert (killed.family, killed.cause) == ("server-shutdown", "server-shutdown/restart-unlogged")
    assert killed.decisive is not None and "Server listening" in killed.decisive.text
    assert killed.evidence[-1] == killed.decisive
    assert only(r, client_port=7001).family == "clean-exit"
    assert only(r, client_port=7002).family == "clean-exit"


def test_boot_marker_and_logind_reboot_end_what_they_killed(tmp_path):
    from logsleuth.catalogue import load
    from logsleuth.classify import classify_record
    from logsleuth.model import Record
    from logsleuth.sessionize import BOOT_PROGRAM, Sessionizer
    from tests.synth import T0

    cat = load()

    def ev(t, prog, pid, msg):
        return classify_record(Record(T0 + timedelta(seconds=t), "h", prog, pid, msg, "j", t), cat)

    s = Sessionizer()
    events = [
        ev(0, "sshd", 1, "Server listening on 0.0.0.0 port 22."),
        ev(5, "sshd", 10, "Accepted password for a from 192.0.2.1 port 1 ssh2"),
        ev(6, "sshd", 20, "Accepted password for b from 192.0.2.2 port 2 ssh2"),
        ev(100, "sshd", 10, "pam_unix(sshd:session): session closed for user a"),
        ev(100, "sshd", 1, "Received signal 15; terminating."),
        ev(230, BOOT_PROGRAM, None, "-- Boot 0123abcd --"),
        ev(231, "sshd", 2, "Server listening on 0.0.0.0 port 22."),
        ev(240, "sshd", 30, "Accepted password for c from 192.0.2.3 port 3 ssh2"),
        ev(300, "systemd-logind", 5, "System is powering down."),
        ev(301, "sshd", 30, "pam_unix(sshd:session): session closed for user c"),
    ]
    out = [c for e in events for c in s.feed(e)] + list(s.finish())
    by_user = {c.user: c for c in out}
    assert by_user["a"].cause == "server-shutdown/reboot"  # closed at the stop of a reboot
    assert by_user["b"].cause == "server-shutdown/reboot"  # still open at the marker
    assert by_user["b"].decisive is not None and "-- Boot" in by_user["b"].decisive.text
    assert by_user["b"].end == T0 + timedelta(seconds=100)  # the host's last sign of life
    assert by_user["c"].cause == "server-shutdown/power-off"


def test_service_stop_is_told_apart_from_a_reboot(tmp_path):
    log = Log()
    info_session(log, 0, "h", 90, 91, "192.0.2.8", 41003, "gina", "pam-only", 50)
    log.add(50, "h", "sshd", 1, "Received signal 15; terminating.")
    log.add(51, "h", "sshd", 2, "Server listening on 0.0.0.0 port 22.")
    c = only(scan(log, tmp_path), client_port=41003)
    assert (c.family, c.cause) == ("server-shutdown", "server-shutdown/sshd-stopped")


def test_state_round_trip_gives_the_same_connections():
    import json

    from logsleuth.catalogue import load
    from logsleuth.classify import classify_record
    from logsleuth.model import Record
    from logsleuth.readers.syslog_header import parse_line
    from logsleuth.sessionize import Sessionizer

    log = Log()
    verbose_session(log, 0, "a", 500, 507, "198.51.100.7", 50122, "alice", "clean", 600)
    brute(log, 100, "a", 60, "203.0.113.50", 50500, "admin")
    info_session(log, 200, "a", 300, 301, "203.0.113.9", 40000, "bob", "keepalive", 900)
    cat = load()
    events = []
    for n, line in enumerate(log.text().splitlines(), 1):
        h = parse_line(line, 2026)
        assert h is not None
        rec = Record(h.ts, h.host, h.program, h.pid, h.message, "x", n)
        events.append(classify_record(rec, cat))

    def key(c):
        return (c.client_port, c.family, c.cause, c.pids, c.start, c.end, c.evidence)

    whole = Sessionizer()
    full = [c for e in events for c in whole.feed(e)] + list(whole.finish())
    for cut in (3, len(events) // 2, len(events) - 2):
        first = Sessionizer()
        got = [c for e in events[:cut] for c in first.feed(e)]
        state = json.loads(json.dumps(first.export_state()))
        second = Sessionizer()
        second.restore_state(state)
        got += [c for e in events[cut:] for c in second.feed(e)] + list(second.finish())
        assert sorted(map(key, got)) == sorted(map(key, full))
        assert sorted(c.id for c in got) == sorted(c.id for c in full)
    with pytest.raises(ValueError):
        Sessionizer().restore_state({"version": 0})  # type: ignore[typeddict-item]


def test_window_keeps_whole_connections_that_overlap_it(tmp_path):
    from logsleuth.api import overlaps

    log = Log()
    info_session(log, 0, "h", 300, 301, "203.0.113.9", 40000, "bob", "clean", 3600)
    info_session(log, 7200, "h", 310, 311, "203.0.113.9", 40001, "bob", "clean", 60)
    info_session(log, 9000, "h", 320, 321, "203.0.113.9", 40002, "bob", "open", 0)
    full = scan(log, tmp_path)
    since = T0 + timedelta(minutes=30)  # inside the first session
    until = T0 + timedelta(seconds=7230)  # inside the second
    cut = scan(log, tmp_path, since=since, until=until)
    assert sorted(c.client_port for c in cut.connections) == [40000, 40001]
    whole = only(cut, client_port=40000)
    assert (whole.start, whole.end, whole.family) == (
        T0,
        T0 + timedelta(seconds=3600.01),
        "clean-exit",
    )
    assert [c for c in full.connections if overlaps(c, since, until)] != []
    late = scan(log, tmp_path, since=T0 + timedelta(hours=3))
    assert [c.family for c in late.connections] == ["open"]
