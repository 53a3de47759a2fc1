"""A file whose name is not valid UTF-8 is read, shown and stored under a visible label.

Linux file names are bytes; Python carries the bytes that are not UTF-8 as lone
surrogates, which no UTF-8 text column, JSON encoder or terminal accepts. Before this,
`scan` and `ingest` of such a file ended in a traceback from the store's loader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logsleuth.readers.sources import label_of

LINES = (
    "Nov 30 10:00:00 web01 sshd[4242]: Accepted password for alice from 10.0.0.7 port 50000 ssh2\n"
    "Nov 30 10:05:00 web01 sshd[4242]: Received disconnect from 10.0.0.7 port 50000:11: "
    "disconnected by user\n"
    "Nov 30 10:05:00 web01 sshd[4242]: Disconnected from user alice 10.0.0.7 port 50000\n"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "logsleuth", *args],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def odd_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"auth-\xff\xfe.log"), "w") as fh:
        fh.write(LINES)
    return folder


def test_label_of_keeps_valid_names_and_escapes_the_rest() -> None:
    assert label_of("/var/log/auth.log") == "/var/log/auth.log"
    assert label_of("/var/log/journal-é.log") == "/var/log/journal-é.log"
    assert label_of(os.fsdecode(b"/tmp/a\xff.log")) == "/tmp/a\\xff.log"
    assert label_of("/tmp/\ud800.log") == "/tmp/\\ud800.log"  # not from a file name
    for odd in (os.fsdecode(b"x\x80\xc3"), "\udcff\ud800"):
        label_of(odd).encode("utf-8")  # always storable


@pytest.mark.parametrize("fmt", ["text", "json", "ndjson", "markdown", "html", "csv"])
def test_scan_reads_a_file_whose_name_is_not_utf8(odd_dir: Path, fmt: str) -> None:
    done = _run("scan", str(odd_dir), "--format", fmt, "--no-pager")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    if fmt == "json":
        report = json.loads(done.stdout)
        assert [s["path"] for s in report["sources"]] == [f"{odd_dir}/auth-\\xff\\xfe.log"]
        assert report["connections"][0]["user"] == "alice"
        assert report["connections"][0]["evidence"][0]["source"].endswith("auth-\\xff\\xfe.log")
    elif fmt != "ndjson":
        assert "auth-\\xff\\xfe.log" in done.stdout or "xff" in done.stdout


def test_ingest_twice_and_query_a_file_whose_name_is_not_utf8(
    odd_dir: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "state.duckdb")
    first = _run("ingest", str(odd_dir), "--db", db)
    assert first.returncode == 0, first.stderr
    assert "auth-\\xff\\xfe.log: 3 lines" in first.stdout
    again = _run("ingest", str(odd_dir), "--db", db)
    assert again.returncode == 0, again.stderr
    assert "0 lines (no new lines since the last run)" in again.stdout  # position kept
    rows = _run("sql", "SELECT path FROM sources", "--db", db, "--format", "json")
    assert rows.returncode == 0, rows.stderr
    assert f"{odd_dir}/auth-\\\\xff\\\\xfe.log" in rows.stdout
    report = _run("report", "--db", db, "--format", "json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["connections"][0]["user"] == "alice"


def test_ingest_says_how_many_connections_wait_for_the_next_run(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        LINES + "Nov 30 10:06:00 web01 sshd[4300]: Accepted publickey for bob "
        "from 10.0.0.8 port 50001 ssh2\n"
    )
    done = _run("ingest", str(log), "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 0, done.stderr
    head = done.stdout.splitlines()[0]
    assert "still open or settling (kept for the next run" in head
    pending = int(head.split(", ")[-1].split()[0])
    stored = int(head.split(" connection")[0].rsplit(" ", 1)[-1])
    assert stored + pending == 2  # alice's and bob's connections, each counted once
