"""What a careful admin reads off the report: the host line's figures, the merged blocks
under ``--top``/``--host``, and the evidence of an sshd stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.renderers import render
from tests.synth import Log, info_session

WILD = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "wild-public"


def scan(log: Log, tmp_path: Path):
    return api.scan([str(log.write(tmp_path / "auth.log"))], year=2026)


# An ending no line explains is not an abnormal ending.


def test_unexplained_endings_are_not_counted_as_abnormal(tmp_path):
    log = Log()
    for i in range(3):  # PAM closes the session, no disconnect line (LogLevel INFO)
        info_session(
            log,
            i * 60,
            "hermes",
            100 + i,
            200 + i,
            "198.51.100.4",
            40000 + i,
            "ann",
            "pam-only",
            30,
        )
    rep = scan(log, tmp_path)
    (h,) = rep.hosts
    assert h.families == {"unknown": 3} and h.abnormal == 0 and h.abnormal_share == 0
    line = "3 connections, 3 authenticated, 0% ended abnormally, 3 ended without a line saying why"
    assert f"host hermes: {line}\n" in render(rep, "text", width=120)
    assert f"{line}.\n" in render(rep, "markdown")
    assert "3 ended without a line saying why.</p>" in render(rep, "html")
    (jh,) = json.loads(render(rep, "json"))["hosts"]
    assert jh["abnormal"] == 0 and jh["abnormal_share"] == 0


def test_an_explained_abnormal_ending_still_counts(tmp_path):
    log = Log()
    info_session(log, 0, "hermes", 100, 200, "198.51.100.4", 40000, "ann", "pam-only", 30)
    info_session(log, 60, "hermes", 101, 201, "198.51.100.4", 40001, "ann", "reset", 30)
    rep = scan(log, tmp_path)
    (h,) = rep.hosts
    assert h.abnormal == 1
    out = render(rep, "text", width=120)
    line = "2 connections, 2 authenticated, 50% ended abnormally, 1 ended without a line saying why"
    assert f"host hermes: {line}\n" in out
    (jh,) = json.loads(render(rep, "json"))["hosts"]
    assert jh["abnormal"] == 1 and jh["abnormal_share"] == 0.5


@pytest.mark.skipif(not WILD.is_dir(), reason=f"no wild-public corpus at {WILD}")
def test_a_real_info_level_host_is_not_called_abnormal():
    rep = api.scan([str(WILD / "centos7-course-secure-20181125")], year=2018)
    out = render(rep, "text", width=200)
    assert (
        "161 connections, 161 authenticated, 0% ended abnormally, 161 ended without a line" in out
    )
    assert "100% ended abnormally" not in out


# The merged blocks hold exactly the changes of the items shown.

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "auth.log"


@pytest.fixture(scope="module")
def sample():
    return api.scan([str(SAMPLE)], year=2026)


def merged_section(text: str) -> str:
    start = text.index("configuration per host (")
    return text[start : text.index("\nhost ", start)]


def options_in(section: str) -> set[str]:
    """The options the blocks set (commented-out guarded ones included)."""
    found = set()
    for line in section.splitlines()[1:]:
        words = line.strip().lstrip("# ").split()
        if len(words) >= 2 and words[0][:1].isupper() and not words[0].endswith(":"):
            found.add(words[0])
    return found - {"Host", "OpenSSH", "Check", "Compared"}


def test_top_merges_only_the_items_shown(sample):
    from logsleuth.renderers.text import Layout, blocks

    shown = sample.advice[:2]
    proposed = {opt for a in shown for _, opt, _ in a.settings}
    hidden = {opt for a in sample.advice[2:] for _, opt, _ in a.settings} - proposed
    assert proposed and "MaxStartups" in hidden  # the sample has changes beyond the top 2
    section = merged_section(render(sample, "text", width=200, layout=Layout(top=2)))
    assert "the changes of the 2 items above, merged; not those of the other 15" in section
    assert options_in(section) == proposed
    got, _ = blocks(sample, Layout(top=2))
    assert got == sample.merge(shown)
    assert {b.host for b in got} == {h for a in shown for h, _, _ in a.settings}


def test_report_command_merges_only_the_items_shown(tmp_path):
    from typer.testing import CliRunner

    from logsleuth.cli import app

    db = str(tmp_path / "ls.duckdb")
    api.ingest([str(SAMPLE)], db=db, year=2026)
    env = {"COLUMNS": "200", "TZ": "UTC"}
    out = CliRunner().invoke(app, ["report", "--db", db, "--top", "2"], env=env).stdout
    section = merged_section(out)
    assert "not those of the other 15, left out by --top" in section
    assert "MaxStartups" not in section


def test_without_top_the_blocks_merge_every_item(sample):
    from logsleuth.renderers.text import Layout, blocks

    assert sample.merge(sample.advice) == sample.config
    for layout in (Layout(), Layout(top=len(sample.advice))):
        got, heading = blocks(sample, layout)
        assert got == sample.config and heading.endswith("(the changes above, merged)")
    # --host keeps that host's whole block: every item that changes it is shown
    got, heading = blocks(sample, Layout(hosts=("web01",)))
    assert got == tuple(b for b in sample.config if b.host == "web01")
    assert heading.endswith("(the changes above, merged)")


# A session that ended as sshd was stopped cites the stop line.


def stopped(close_after: float) -> Log:
    """One INFO session on a SysV host; the listener (pid 900) is stopped at 600 s and the
    session's PAM close follows ``close_after`` seconds later."""
    log = Log()
    log.add(0, "olymp", "sshd", 900, "Server listening on 0.0.0.0 port 22.")
    info_session(log, 10, "olymp", 1200, 1201, "198.51.100.4", 40000, "ann", "open", 0)
    log.add(600, "olymp", "sshd", 900, "Received signal 15; terminating.")
    log.add(
        600 + close_after,
        "olymp",
        "sshd",
        1200,
        "pam_unix(sshd:session): session closed for user ann",
    )
    return log


def events_of(log: Log):
    from logsleuth.catalogue import load
    from logsleuth.classify import classify_record
    from logsleuth.model import Record
    from logsleuth.readers.syslog_header import parse_line

    cat = load()
    out = []
    for n, line in enumerate(log.text().splitlines(), 1):
        h = parse_line(line, 2026)
        assert h is not None
        out.append(classify_record(Record(h.ts, h.host, h.program, h.pid, h.message, "x", n), cat))
    return out


def test_a_session_ended_by_an_sshd_stop_cites_the_stop_line(tmp_path):
    rep = scan(stopped(1), tmp_path)
    (c,) = [c for c in rep.connections if c.client_port == 40000]
    assert c.cause == "server-shutdown/sshd-stopped"
    # The stop line comes after the connection's own lines: the first, which the stable
    # id hashes, is still its Accepted line.
    assert "Accepted password for ann" in c.evidence[0].text
    assert c.evidence[-1].text.endswith("Received signal 15; terminating.")
    assert c.decisive == c.evidence[-1]
    (a,) = [a for a in rep.advice if "sshd was stopped" in a.title]
    assert [e.text for e in a.evidence] == [c.evidence[-1].text]
    assert "Received signal 15; terminating." in render(rep, "text", width=200)


def test_a_session_closed_long_after_the_stop_does_not_cite_it(tmp_path):
    rep = scan(stopped(60), tmp_path)
    (c,) = [c for c in rep.connections if c.client_port == 40000]
    assert c.cause != "server-shutdown/sshd-stopped"
    assert not any("Received signal" in e.text for e in c.evidence)


def test_a_saved_state_carries_the_stop_line_and_an_older_one_still_loads():
    from logsleuth.sessionize import Sessionizer

    events = events_of(stopped(1))
    whole = Sessionizer()
    full = [c for e in events for c in whole.feed(e)] + list(whole.finish())
    first = Sessionizer()
    got = [c for e in events[:-1] for c in first.feed(e)]
    state = json.loads(json.dumps(first.export_state()))
    second = Sessionizer()
    second.restore_state(state)
    got += [c for e in events[-1:] for c in second.feed(e)] + list(second.finish())
    assert [c.evidence for c in got] == [c.evidence for c in full]
    # A state saved before the stop line was kept: the same verdict, without the line.
    for h in state["hosts"].values():
        del h["stops"]
    older = Sessionizer()
    older.restore_state(state)
    (c,) = [c for e in events[-1:] for c in older.feed(e)] + list(older.finish())
    assert c.cause == "server-shutdown/sshd-stopped" and c.decisive is None
    assert not any("Received signal" in e.text for e in c.evidence)
