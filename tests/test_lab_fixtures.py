"""The saved lab captures (tests/data/lab), checked without root: same families as the lab.

The captures come from one run of the disconnect lab (scripts/regen_lab_fixtures.py):
genuine sshd -E output, rsyslog RFC 3164 / RFC 3339 auth.log lines and the journal export
built from them. Each form must give the scenario's connection the expected family.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "lab"))

from sshlab import eframe  # noqa: E402
from sshlab.checks import (  # noqa: E402
    FORMS,
    FormUnavailable,
    describe,
    meta,
    problems,
    scan_form,
    scenario_connections,
)
from sshlab.env import JOURNAL_REMOTE, NEUTRAL_ROOT  # noqa: E402
from sshlab.expect import EXPECT  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "lab"
SAVED = sorted(p.name for p in DATA.iterdir() if p.is_dir()) if DATA.is_dir() else []

CASES = [
    pytest.param(
        s, f, marks=[pytest.mark.xfail(reason=EXPECT[s].xfail[f], strict=False)]
        if f in EXPECT[s].xfail else [],
    )
    for s in SAVED
    for f in FORMS
]  # fmt: skip


def test_every_scenario_is_saved() -> None:
    assert sorted(EXPECT) == SAVED


@pytest.mark.parametrize(("scenario", "form"), CASES)
def test_saved_capture_family(scenario: str, form: str, tmp_path: Path) -> None:
    try:
        report = scan_form(DATA / scenario, form, tmp_path)
    except FormUnavailable as exc:
        pytest.skip(str(exc))
    ssh, raw = scenario_connections(report, DATA / scenario, form)
    found = problems(EXPECT[scenario], ssh, raw)
    assert not found, f"{scenario} [{form}]: {found}; seen: {describe(ssh + raw)}"


@pytest.mark.parametrize("scenario", SAVED)
def test_saved_capture_is_neutral_and_genuine(scenario: str) -> None:
    cap = DATA / scenario
    for path in cap.iterdir():
        text = path.read_text(errors="replace")
        assert "/tmp/" not in text and "pytest-of" not in text, path.name
    assert f"PidFile {NEUTRAL_ROOT}/" in (cap / "sshd_config").read_text()
    assert (cap / "sshd-version.txt").read_text().startswith("OpenSSH_")
    # -E output is bare messages with CRLF endings: no time, host or pid.
    raw = (cap / "server-E.log").read_bytes()
    assert raw.startswith(b"Server listening on ") and b"\r\n" in raw
    assert meta(cap)["scenario"] == scenario


def test_e_framing_gives_each_connection_its_own_pid() -> None:
    msgs = [
        "Server listening on 127.0.0.1 port 2222.",
        'Connection from 127.0.1.5 port 40000 on 127.0.0.1 port 2222 rdomain ""',
        'Connection from 127.0.1.5 port 40002 on 127.0.0.1 port 2222 rdomain ""',
        "Accepted key ED25519 SHA256:x found at /home/u/.ssh/authorized_keys:1",
        "drop connection #2 from [127.0.1.5]:40004 on [127.0.0.1]:2222 past MaxStartups",
        "Connection closed by 127.0.1.5 port 40000 [preauth]",
        "Received signal 15; terminating.",
    ]
    ts = [datetime(2026, 1, 2, 3, 4, 5, i, tzinfo=UTC) for i in range(len(msgs))]
    lines = eframe.frame(msgs, ts)
    assert [ln.split()[2] for ln in lines] == [
        "sshd[1]:", "sshd[1000]:", "sshd[1001]:", "sshd[1001]:", "sshd[1]:", "sshd[1000]:",
        "sshd[1]:",
    ]  # fmt: skip
    assert lines[0] == "2026-01-02T03:04:05.000000+00:00 lab sshd[1]: " + msgs[0]


@pytest.mark.skipif(shutil.which(JOURNAL_REMOTE) is None, reason="no systemd-journal-remote")
def test_saved_exports_make_real_journal_files(tmp_path: Path) -> None:
    from sshlab import journal

    cap = DATA / "clean-exit"
    built = journal.build(cap / "sshd.export", tmp_path / "sshd.journal")
    n_lines = len((cap / "auth-3339.log").read_text().splitlines())
    assert built.stat().st_size > 0
    assert (cap / "sshd.export").read_bytes().count(b"__REALTIME_TIMESTAMP=") == n_lines
