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
