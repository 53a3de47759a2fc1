"""What the text report feels like: ranking, --summary, --top, --host, widths, --fail-on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app
from logsleuth.renderers import render
from logsleuth.renderers.text import Layout

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "auth.log")


@pytest.fixture(scope="module")
def report():
    return api.scan([SAMPLE], year=2026)


def run(*args: str, columns: int = 100):
    return CliRunner().invoke(
        app, ["scan", SAMPLE, "--year", "2026", *args], env={"COLUMNS": str(columns)}
    )


def test_advice_is_ranked_by_harm_and_noise_is_one_item(report):
    advice = report.advice
    harms = [a.harm for a in advice]
    assert harms == sorted(harms)
    assert advice[0].harm == 10 and advice[-1].id == "brute-force"
    assert [a.id for a in advice].count("brute-force") == 1
    assert len(advice[-1].hosts) == 4


def test_summary_top_and_host(report):
    full = render(report, "text")
    summary = render(report, "text", layout=Layout(summary=True))
    assert len(summary.splitlines()) < len(full.splitlines()) / 2
    assert "how connections ended" in summary and "unmatched ssh lines" not in summary
    top = render(report, "text", layout=Layout(top=2))
    assert re.search(r"^2\. ", top, re.M) and not re.search(r"^3\. ", top, re.M)
    assert "the first 2 of" in top
    web = render(report, "text", layout=Layout(hosts=("web01",)))
    assert "host web01:" in web and "host db01:" not in web
    assert all("web01" in (a.hosts or (a.host,)) for a in report.advice if a.title in web)


def test_an_unknown_host_is_a_usage_error():
    res = run("--host", "nosuch")
    assert res.exit_code == 2 and "not in the report" in res.output


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_tables_fit_the_width_without_trailing_spaces(columns):
    res = run("--no-pager", columns=columns)
    assert res.exit_code == 0
    quoting = False
    for line in res.stdout.splitlines():
        assert line == line.rstrip(), repr(line)
        quoting = line.startswith("unmatched ssh lines") or (quoting and line != "")
        if re.search(r"\.log:\d+ ", line) or quoting:
            continue  # log lines (and unmatched shapes) are quoted whole, never re-wrapped
        assert len(line) <= columns, line
    # near case: a line is never broken inside a word
    assert "unused-connection-ti" not in res.stdout.replace("unused-connection-timeout", "")


def test_durations_are_human(report):
    text = render(report, "text")
    assert re.search(r"clean-exit\s+\d+\s+\d+m\d\ds", text)
    assert not re.search(r"\b\d+\.\d s\b|\b1156\.5\b", text)


def test_fail_on_validates_its_value():
    res = run("--fail-on", "netwrk-drop")
    assert res.exit_code == 2 and "network-drop" in res.output
    res = run("--fail-on", "network-drop/rest")
    assert res.exit_code == 2 and "network-drop/reset" in res.output
    assert run("--fail-on", "network-drop/reset").exit_code == 1
    assert run("--fail-on", "host-key").exit_code == 1  # outbound host-key changes
    assert run("--fail-on", "negotiation-failure").exit_code == 1


def test_progress_is_reported_to_a_callback_and_off_without_a_terminal(tmp_path):
    path = tmp_path / "big.log"
    line = "2026-11-03T08:00:00Z h CRON[1]: (root) CMD (true)\n"
    path.write_text(line * 70000)
    seen: list[tuple[str, int]] = []
    api.scan([str(path)], progress=lambda s, n: seen.append((s, n)))
    assert seen[0] == (str(path), 65536) and seen[-1] == ("", -1)
    res = CliRunner().invoke(app, ["scan", str(path)])
    assert "reading" not in res.output
