"""`report` has `scan`'s layout options with `scan`'s behaviour: --summary, --top, --host
(repeatable), the pager, --fail-on validation, output that fits COLUMNS."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "sample_logs" / "auth.log")
ENV = {"COLUMNS": "100", "TZ": "UTC"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("report") / "ls.duckdb")
    api.ingest([SAMPLE], db=path, year=2026)
    return path


def scan(*args: str, columns: int = 100):
    env = {**ENV, "COLUMNS": str(columns)}
    return CliRunner().invoke(app, ["scan", SAMPLE, "--year", "2026", *args], env=env)


def report(db: str, *args: str, columns: int = 100):
    env = {**ENV, "COLUMNS": str(columns)}
    return CliRunner().invoke(app, ["report", "--db", db, *args], env=env)


@pytest.mark.parametrize(
    "layout",
    [
        ("--summary",),
        ("--top", "3"),
        ("--host", "web01", "--host", "db01"),
        ("--summary", "--top", "2", "--host", "jump01"),
    ],
)
def test_report_lays_out_its_text_as_scan_does(db, layout):
    stored, scanned = report(db, *layout), scan(*layout)
    assert stored.exit_code == scanned.exit_code == 0, stored.output
    # Only a stored report has the footer that names its ingest runs.
    footer = re.compile(r"^stored data: .*\n(?:  .*\n)*", re.M)
    assert footer.sub("", stored.stdout) == scanned.stdout
    assert len(stored.stdout.splitlines()) < len(report(db).stdout.splitlines())


def test_report_host_keeps_items_that_span_several_hosts(db):
    text = report(db, "--host", "web01", "--summary").stdout
    assert "host web01:" in text and "host bastion:" not in text
    # The same clients dropped on three servers at once: still the clients' side, never
    # "look at web01's network" (the verdict of a report over web01 alone).
    assert "14 sessions to 3 servers died" in text
    assert "look at web01's network" not in text


def test_report_host_selects_in_every_format(db):
    doc = json.loads(report(db, "--host", "web01", "--host", "db01", "-f", "json").stdout)
    assert [h["host"] for h in doc["hosts"]] == ["db01", "web01"]
    assert {c["host"] for c in doc["connections"]} == {"db01", "web01"}
    assert {c["host"] for c in doc["config"]} <= {"db01", "web01"}
    assert all({"db01", "web01"} & set(a["hosts"]) for a in doc["advice"])
    scanned = json.loads(scan("--host", "web01", "--host", "db01", "-f", "json").stdout)
    assert scanned["hosts"] == doc["hosts"] and scanned["advice"] == doc["advice"]
    rows = report(db, "--host", "jump01", "-f", "ndjson").stdout.splitlines()
    assert rows and all(json.loads(r)["host.hostname"] == "jump01" for r in rows)
    csv = report(db, "--host", "jump01", "-f", "csv", "--table", "hosts").stdout
    assert "jump01" in csv and "web01" not in csv


def test_report_an_unknown_host_is_a_usage_error_that_lists_the_hosts(db):
    res = report(db, "--host", "web1")
    assert res.exit_code == 2
    assert "web1" in res.output and "backup01, bastion, db01, jump01, web01" in res.output


def test_report_a_known_host_with_a_quiet_window_is_no_error(db):
    res = report(db, "--host", "web01", "--since", "2030-01-01", "--quiet")
    assert res.exit_code == 0 and res.stdout == ""
    # near case: without --quiet the empty window is reported, still without an error
    res = report(db, "--host", "web01", "--since", "2030-01-01")
    assert res.exit_code == 0 and res.stdout


def test_report_fail_on_is_validated(db):
    res = report(db, "--fail-on", "netwrk-drop")
    assert res.exit_code == 2 and "network-drop" in res.output
    res = report(db, "--fail-on", "network-drop/rest")
    assert res.exit_code == 2 and "network-drop/reset" in res.output
    assert report(db, "--fail-on", "network-drop/reset").exit_code == 1
    assert report(db, "--fail-on", "host-key").exit_code == 1  # outbound host-key changes
    assert report(db, "--fail-on", "clean-exit", "--host", "db01").exit_code == 1


@pytest.mark.parametrize("columns", [60, 100])
def test_report_text_fits_the_width(db, columns):
    res = report(db, columns=columns)
    assert res.exit_code == 0
    quoting = False
    for line in res.stdout.splitlines():
        assert line == line.rstrip(), repr(line)
        quoting = line.startswith("unmatched ssh lines") or (quoting and line != "")
        if re.search(r"\.log:\d+ ", line) or quoting:
            continue  # log lines are quoted whole
        assert len(line) <= columns, line


def _on_a_terminal(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Run logsleuth with stdout on a pseudo-terminal and a pager that saves what it gets."""
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\ncat > "{paged}"\n')
    pager.chmod(0o755)
    env = {**os.environ, **ENV, "LINES": "24", "PAGER": str(pager)}
    main, side = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "logsleuth", *args], stdout=side, stderr=side, env=env, check=False
    )
    os.close(side)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.returncode == 0, shown
    return (paged.read_text() if paged.exists() else ""), shown.decode()


def test_report_pages_on_a_terminal_unless_told_not_to(db, tmp_path):
    paged, shown = _on_a_terminal(tmp_path, "report", "--db", db, "--summary")
    assert "what to change" in paged and "what to change" not in shown
    paged, shown = _on_a_terminal(tmp_path / "..", "report", "--db", db, "--summary", "--no-pager")
    assert paged == "" and "what to change" in shown


def test_report_over_a_lake_takes_the_same_options(db, tmp_path):
    lake = str(tmp_path / "lake")
    api.export_parquet(db, lake)
    res = CliRunner().invoke(
        app, ["report", "--lake", lake, "--host", "web01", "--summary", "--top", "2"], env=ENV
    )
    assert res.exit_code == 0, res.output
    assert "host web01:" in res.stdout and "host db01:" not in res.stdout
    assert "(the first 2 of" in res.stdout
    doc = json.loads(
        CliRunner().invoke(app, ["report", "--lake", lake, "--host", "db01", "-f", "json"]).stdout
    )
    assert [h["host"] for h in doc["hosts"]] == ["db01"]
    res = CliRunner().invoke(app, ["report", "--lake", lake, "--host", "nosuch"])
    assert res.exit_code == 2 and "web01" in res.output
