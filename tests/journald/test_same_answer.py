"""The same sshd lines give the same report from auth.log, a journal file and its exports."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from logsleuth.readers.syslog_header import parse_line

api = pytest.importorskip("logsleuth.api", reason="logsleuth.api is not available yet")

LAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "openssh-10.5-lab"


def summary(report):
    conns = sorted(
        (c.host, c.family, c.cause, c.client_ip, c.client_port, c.user, c.authenticated)
        for c in report.connections
    )
    hosts = sorted((h.host, h.connections, tuple(sorted(h.families.items()))) for h in report.hosts)
    counts = sorted((s.matched, s.unmatched) for s in report.sources)
    errors = [s.error for s in report.sources if s.error]
    return conns, hosts, counts, errors


def write_sources(journal: Path, journalctl: str, tmp_path: Path) -> dict[str, dict]:
    """scan() arguments for the journal file and its two exports."""
    out: dict[str, dict] = {
        "journal": {"paths": [], "journal_files": [str(journal)]},
        "journal-scan": {"paths": [str(journal)]},
    }
    for fmt in ("json", "export"):
        dump = tmp_path / f"sshd.{fmt}"
        with dump.open("wb") as fh:
            subprocess.run(
                [journalctl, "--file", str(journal), "-o", fmt, "--no-pager"], stdout=fh, check=True
            )
        out[fmt] = {"paths": [str(dump)]}
    return out


def assert_same(authlog: Path, sources: dict[str, dict]) -> None:
    expected = summary(api.scan([str(authlog)]))
    assert expected[0], "the scenario must produce connections"
    assert not expected[3], expected[3]
    for name, kwargs in sources.items():
        paths = kwargs.pop("paths")
        assert summary(api.scan(paths, **kwargs)) == expected, name


def test_scenario_same_answer_from_every_source(make_journal, binding, journalctl, jx, tmp_path):
    authlog = tmp_path / "auth.log"
    with authlog.open("w") as fh:
        for offset, ident, pid, message in jx.SCENARIO:
            stamp = (jx.T0 + timedelta(seconds=offset)).isoformat(timespec="microseconds")
            fh.write(f"{stamp} web01 {ident}[{pid}]: {message}\n")
    journal = make_journal(jx.scenario_entries())
    assert_same(authlog, write_sources(journal, journalctl, tmp_path))


def lab_entries(log: Path, jx) -> list[dict]:
    """RFC 5424 lines of the lab (they keep PRI) as journal entries."""
    entries = []
    for raw in log.read_text().splitlines():
        h = parse_line(raw, 2026)
        assert h is not None and h.ts is not None, raw
        pri = int(raw[1 : raw.index(">")])
        entries.append(
            jx.entry(
                h.ts,
                h.message,
                h.program,
                h.pid or 0,
                h.host or "vm",
                unit="ssh.service",
                priority=pri & 7,
                facility=pri >> 3,
            )
        )
    return entries


@pytest.mark.skipif(not LAB.is_dir(), reason="../shared/corpora (lab captures) is absent")
@pytest.mark.parametrize(
    "scenario", ["a_normal_exit", "b_server_keepalive_timeout", "g_auth_failures"]
)
def test_lab_capture_same_answer(make_journal, binding, journalctl, jx, tmp_path, scenario):
    directory = LAB / scenario
    journal = make_journal(lab_entries(directory / "syslog_5424.log", jx))
    assert_same(directory / "syslog_precise.log", write_sources(journal, journalctl, tmp_path))


def test_a_journal_of_three_hosts_gives_the_same_report_split(make_journal, binding, jx):
    """A scan split by host (a helper process opens the journal itself) gives the report
    of a scan in one process, rendered byte for byte."""
    from logsleuth.renderers import iter_render

    entries = [e for host in ("web01", "web02", "db01") for e in jx.scenario_entries(host)]
    journal = make_journal(entries)

    def render(jobs: int) -> str:
        with api.open_scan([], journal_files=[str(journal)], jobs=jobs) as rep:
            assert {h.host for h in rep.hosts} >= {"web01", "web02", "db01"}
            return "".join(iter_render(rep, "json"))

    assert render(2) == render(1)
