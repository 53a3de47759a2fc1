"""One test per point of the advice contract: a case where it fires and a near case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.advice import load_advice
from logsleuth.errors import CatalogueError
from logsleuth.hostfacts import VersionRange, catalogue_range
from tests.synth import Log, brute, info_session, probe, verbose_session


def scan(log: Log, tmp_path: Path, **kw):
    return api.scan([str(log.write(tmp_path / "auth.log"))], year=2026, **kw)


def items(report, aid):
    return [a for a in report.advice if a.id == aid]


def block(report, host):
    (b,) = [b for b in report.config if b.host == host]
    return b


def guessing(log: Log, host: str, n: int = 12, base: int = 0) -> None:
    for i in range(n):
        brute(log, base + i * 20, host, 3000 + base + i, "203.0.113.13", 55000 + i, f"u{i}")


# 1. The host's sshd accepts it: options only within the host's version range.


def test_catalogue_version_text_becomes_a_certain_range():
    assert catalogue_range("9.8+ (INFO since 10.1)") == ((9, 8), None)
    assert catalogue_range("8.4-9.9") == ((8, 4), (9, 9))
    assert catalogue_range("-7.9") == (None, (7, 9))
    # near cases: qualified or not a range at all
    assert catalogue_range("-3.8 (FreeBSD kept it longer)") == (None, None)
    assert catalogue_range("8.5-9.7 on Linux (fatal), any on OpenBSD") == (None, None)
    assert catalogue_range("all") == (None, None)
    assert VersionRange((9, 2), (9, 9)).supports((9, 8)) is None
    assert VersionRange((9, 8)).supports((9, 8)) is True
    assert VersionRange(None, (7, 9)).supports((9, 8)) is False


def test_gated_option_follows_each_hosts_release(tmp_path):
    log = Log()
    verbose_session(log, 0, "new", 100, 101, "192.0.2.5", 40000, "al", "clean", 60)
    log.add(1, "old", "sshd", 7, "Did not receive identification string from 10.0.0.9 port 40001")
    for host, base in (("new", 0), ("old", 1000), ("unknown", 2000)):
        guessing(log, host, 4, base)
    r = scan(log, tmp_path)
    new, old, unknown = (block(r, h).sshd_config or "" for h in ("new", "old", "unknown"))
    assert "\nPerSourcePenalties authfail:30s" in new
    assert "PerSourcePenalties authfail" not in old and "needs OpenSSH 9.8+" in old
    assert "\nChallengeResponseAuthentication no" in old
    assert "# OpenSSH 9.8+ only" in unknown and "\n# PerSourcePenalties authfail" in unknown
    assert "before 9.8: a ban tool" in unknown


def test_host_facts_learned_in_one_ingest_hold_in_later_reports(tmp_path):
    # Run 1 shows the host's release (sshd-session => 9.8+); run 2 only brings the
    # password guessing. The stored report must gate the option as a scan of all does.
    first = Log()
    verbose_session(first, 0, "new", 100, 101, "192.0.2.5", 40000, "al", "clean", 60)
    path = first.write(tmp_path / "auth.log")
    db = str(tmp_path / "state.duckdb")
    api.ingest([str(path)], db=db, year=2026)
    both = Log()
    verbose_session(both, 0, "new", 100, 101, "192.0.2.5", 40000, "al", "clean", 60)
    guessing(both, "new", 12, 1000)
    both.write(path)
    api.ingest([str(path)], db=db, year=2026)
    with api.open_report(db) as stored:
        snippet = block(stored, "new").sshd_config or ""
    assert "\nPerSourcePenalties authfail:30s" in snippet
    whole = tmp_path / "whole"
    whole.mkdir()
    assert block(scan(both, whole), "new").sshd_config == snippet
    # near case: a store that never saw the release keeps the option commented out
    other = tmp_path / "other.log"
    only = Log()
    guessing(only, "new", 12, 1000)
    only.write(other)
    db2 = str(tmp_path / "other.duckdb")
    api.ingest([str(other)], db=db2, year=2026)
    with api.open_report(db2) as unknown:
        assert "# OpenSSH 9.8+ only" in (block(unknown, "new").sshd_config or "")


def _stopped(log: Log, systemd: bool) -> None:
    info_session(log, 100, "h", 92, 93, "192.0.2.9", 41004, "hal", "pam-only", 400)
    if systemd:
        log.add(450, "h", "systemd", 1, "Stopping ssh.service - OpenBSD Secure Shell server...")
    log.add(500, "h", "sshd", 1, "Received signal 15; terminating.")


def test_systemd_drop_in_only_where_systemd_is_evident(tmp_path):
    log = Log()
    _stopped(log, systemd=True)
    (a,) = items(scan(log, tmp_path), "server-shutdown")
    assert "KillMode=process" in (a.snippet or "")
    near = Log()
    _stopped(near, systemd=False)
    r = scan(near, tmp_path)
    assert items(r, "server-shutdown") == []
    (a,) = items(r, "server-shutdown-init")
    assert "KillMode" not in (a.snippet or "") + a.text and a.systemd is None


# 2. No silent placeholders.


def test_penalty_exemption_is_a_commented_placeholder_sshd_would_refuse(tmp_path):
    log = Log()
    verbose_session(log, 0, "h", 100, 101, "192.0.2.5", 40000, "al", "clean", 60)
    for i in range(3):
        log.add(
            10 + i,
            "h",
            "sshd",
            1,
            f"drop connection #1 from [203.0.113.77]:{5000 + i} on [10.0.0.1]:22 "
            "penalty: failed authentication",
        )
    (a,) = items(scan(log, tmp_path), "penalty")
    assert "# PerSourcePenaltyExemptList <your-monitor-cidr>" in (a.snippet or "")
    assert "in place of <your-monitor-cidr>" in a.text
    assert not re.search(r"^PerSourcePenaltyExemptList", a.snippet or "", re.M)


def test_the_loader_refuses_a_documentation_address_as_a_setting(tmp_path):
    text = (Path(__file__).parents[2] / "patterns" / "advice.toml").read_text()
    bad = tmp_path / "advice.toml"
    bad.write_text(text.replace('"<your-monitor-cidr>"', '"192.0.2.0/24"'))
    with pytest.raises(CatalogueError, match="documentation address"):
        load_advice(bad)
    good = tmp_path / "ok.toml"
    good.write_text(text)
    assert load_advice(good).entry("penalty").server[0].value == "<your-monitor-cidr>"


# 3. MaxStartups from sshd's own counters.


def _drops(log: Log, peak: int, extra: int = 0) -> None:
    verbose_session(log, 0, "h", 100, 101, "192.0.2.5", 40000, "al", "clean", 60)
    for i, n in enumerate(range(peak - 1, peak + 1)):
        log.add(
            10 + i,
            "h",
            "sshd",
            1,
            f"drop connection #{n} from [198.51.100.{i}]:{6000 + i} on [10.0.0.1]:22 Maxstartups",
        )
    if extra:
        log.add(
            20,
            "h",
            "sshd",
            1,
            f"Maxstartups logging rate-limited: additional {extra} connections dropped",
        )


def test_maxstartups_counts_and_peak_come_from_sshd(tmp_path):
    log = Log()
    _drops(log, 12, extra=40)
    (a,) = items(scan(log, tmp_path), "maxstartups")
    assert "refused 42 connections" in a.title and "`drop connection #12`" in a.text
    assert "to 18:30:100" in a.title and "peak of ?" not in a.text


def test_maxstartups_is_never_at_or_below_the_configured_value(tmp_path):
    log = Log()
    _drops(log, 12)
    cfg = tmp_path / "sshd_config"
    cfg.write_text("MaxStartups 60:30:200\n")
    (a,) = items(scan(log, tmp_path, sshd_config=[f"h={cfg}"]), "maxstartups")
    assert "from 60:30:200 to 61:30:200" in a.title
    assert "h: MaxStartups 60:30:200 -> 61:30:200" in a.changes
    # near case: the default, well below the peak
    (b,) = items(scan(log, tmp_path), "maxstartups")
    assert "from 10:30:100 (the default) to 18:30:100" in b.title


# 4. One number everywhere (the lint itself: see test_lint.py).


def test_an_invalid_user_refused_at_once_is_an_attempt(tmp_path):
    log = Log()
    for i in range(12):
        brute(log, i * 20, "h", 3000 + i, "203.0.113.13", 55000 + i, f"u{i}", tries=0)
    (f,) = [f for f in scan(log, tmp_path).findings if f.rule == "password-guessing"]
    assert f.numbers["attempts"] == 12
    near = Log()
    guessing(near, "h")
    (g,) = [f for f in scan(near, tmp_path).findings if f.rule == "password-guessing"]
    assert g.numbers["attempts"] == 36


# 5. Per host configuration.


def _keepalive_drops(log: Log, host: str, pid0: int) -> None:
    for i in range(3):
        verbose_session(
            log,
            i * 5000,
            host,
            pid0 + 2 * i,
            pid0 + 2 * i + 1,
            "198.51.100.8",
            41000 + i,
            "al",
            "keepalive",
            100 + 1000 * i,
        )


def test_sshd_config_per_host(tmp_path):
    log = Log()
    _keepalive_drops(log, "a", 100)
    _keepalive_drops(log, "b", 200)
    cfg = tmp_path / "a.conf"
    cfg.write_text("ClientAliveInterval 60\nClientAliveCountMax 3\n")
    r = scan(log, tmp_path, sshd_config=[f"a={cfg}"])
    hosts = {f.host for f in r.findings if f.rule == "silence-window"}
    assert hosts == {"a"}
    (a,) = items(r, "silence-window")
    assert "a: ClientAliveCountMax 3 -> 6" in a.changes
    assert [(c.host, c.source) for c in r.sshd_config] == [("a", str(cfg))]


def test_a_file_without_sshd_keywords_is_a_usage_error(tmp_path):
    from typer.testing import CliRunner

    from logsleuth.cli import app

    log = Log()
    _keepalive_drops(log, "a", 100)
    path = log.write(tmp_path / "auth.log")
    junk = tmp_path / "notes.txt"
    junk.write_text("remember to buy milk\n")
    res = CliRunner().invoke(app, ["scan", str(path), "--sshd-config", f"a={junk}"])
    assert res.exit_code == 2 and "no sshd_config keyword" in res.output
    good = tmp_path / "sshd -T.txt"
    good.write_text("clientaliveinterval 60\nclientalivecountmax 3\n")
    res = CliRunner().invoke(app, ["scan", str(path), "--sshd-config", f"a={good}"])
    assert res.exit_code == 0, res.output


# 6. One block per host.


def test_client_settings_for_one_server_merge_into_one_host_block(tmp_path):
    log = Log()
    # a repeat-client network and a path idle limit on the same server
    for i in range(6):
        verbose_session(
            log,
            i * 4000,
            "h",
            100 + 2 * i,
            101 + 2 * i,
            f"198.51.{i}.10",
            42000 + i,
            f"u{i}",
            "tcp-timeout",
            900 + i,
        )
    for i in range(4):
        verbose_session(
            log,
            500 + i * 3000,
            "h",
            300 + 2 * i,
            301 + 2 * i,
            "10.9.9.5",
            43000 + i,
            "v",
            "tcp-timeout",
            200 + 97 * i,
        )
    r = scan(log, tmp_path)
    assert items(r, "path-idle-limit") and items(r, "client-path")
    client = block(r, "h").client_config or ""
    assert client.count("Host h") == 1
    assert client.count("\n    ServerAliveInterval ") == 1 and "ServerAliveInterval 60" in client
    # the merged block says which of the items' values it kept
    assert "# ServerAliveInterval: the items above propose" in client
    server = block(r, "h").sshd_config or ""
    assert server.count("\nClientAliveInterval ") == 1


# 7. Across hosts.


def _drop_at(log: Log, t0: float, host: str, ips: list[str], pid0: int) -> None:
    for i, ip in enumerate(ips):
        verbose_session(
            log,
            t0 - 3000 - i * 100,
            host,
            pid0 + 2 * i,
            pid0 + 2 * i + 1,
            ip,
            44000 + pid0 + i,
            f"u{i}",
            "reset",
            3000 + i * 100 + i * 5,
        )


def test_same_clients_dropping_on_several_servers_points_to_their_side(tmp_path):
    log = Log()
    ips = ["10.8.0.21", "10.8.0.22", "10.8.0.23"]
    _drop_at(log, 10000, "web", ips, 100)
    _drop_at(log, 10000, "db", ips, 200)
    r = scan(log, tmp_path)
    (f,) = [f for f in r.findings if f.rule == "shared-path"]
    assert f.hosts == ("db", "web")
    assert not [f for f in r.findings if f.rule == "burst"]
    near = Log()
    _drop_at(
        near, 10000, "web", ["10.8.0.21", "10.8.0.22", "10.8.0.23", "10.8.0.24", "10.8.0.25"], 100
    )
    _drop_at(near, 10000, "db", ["10.7.1.1", "10.6.1.1"], 200)
    r = scan(near, tmp_path)
    assert not [f for f in r.findings if f.rule == "shared-path"]
    assert [f.host for f in r.findings if f.rule == "burst"] == ["web"]


def test_the_idle_limit_rule_runs_on_every_host(tmp_path):
    log = Log()
    for h, pid0 in (("a", 100), ("b", 500)):
        for i in range(6):
            verbose_session(
                log,
                i * 4000 + pid0,
                h,
                pid0 + 2 * i,
                pid0 + 2 * i + 1,
                f"198.{pid0 % 250}.{i}.9",
                42000 + i,
                f"u{i}",
                "tcp-timeout",
                900 + i,
            )
    r = scan(log, tmp_path)
    assert {f.host for f in r.findings if f.rule == "idle-limit"} == {"a", "b"}


# 8. Reboot or service stop.


def test_a_reboot_is_a_planned_reboot_not_killmode_advice(tmp_path):
    log = Log()
    log.add(440, "h", "systemd-logind", 900, "System is rebooting.")
    _stopped(log, systemd=True)
    r = scan(log, tmp_path)
    (a,) = items(r, "planned-reboot")
    assert "planned reboot at 2026-11-03 08:07 UTC" in a.title
    assert "KillMode" not in (a.snippet or "") + a.text
    assert items(r, "server-shutdown") == []
    # near case: a plain stop (test_systemd_drop_in_only_where_systemd_is_evident)


# 9. Attackers cannot earn exemptions.


def test_a_public_regular_prober_is_not_offered_an_exemption(tmp_path):
    log = Log()
    for i in range(20):
        probe(log, i * 30, "h", 2000 + i, "203.0.113.99", 60000 + i)
    r = scan(log, tmp_path)
    (a,) = items(r, "probe")
    assert "only if this address is yours" in a.text.lower() + (a.snippet or "").lower()
    assert "\n# ignoreip = 127.0.0.1/8 ::1 203.0.113.99" in (a.snippet or "")
    assert not re.search(r"^ignoreip", a.snippet or "", re.M)
    near = Log()
    for i in range(20):
        probe(near, i * 30, "h", 2000 + i, "10.0.5.4", 60000 + i)
    (b,) = items(scan(near, tmp_path), "health-check")
    assert re.search(r"^ignoreip = 127.0.0.1/8 ::1 10.0.5.4$", b.snippet or "", re.M)


# 10. Times a person can use.


def test_journalctl_times_carry_their_zone(tmp_path):
    log = Log()
    ips = ["198.51.100.1", "203.0.113.2", "192.0.2.3", "198.51.100.4"]
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
    (a,) = items(scan(log, tmp_path), "network-event")
    assert 'journalctl --since "2026-11-03 09:23:20 UTC" --until "2026-11-03 09:28:45 UTC"' in (
        a.snippet or ""
    )
    assert "at 2026-11-03 09:23:20 UTC" in a.title
