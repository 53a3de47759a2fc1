"""The captures themselves: genuine sshd output, complete, and free of machine paths."""

from __future__ import annotations

import pytest
from sshlab.env import NEUTRAL_ROOT
from sshlab.expect import EXPECT
from sshlab.runner import ScenarioCapture


@pytest.mark.parametrize("scenario", list(EXPECT))
def test_capture_is_complete(capture: ScenarioCapture, scenario: str) -> None:
    files = {p.name for p in capture.dir.iterdir()}
    assert {"server-E.log", "server-E.times", "sshd_config", "actions.txt"} <= files
    assert (capture.dir / "sshd-version.txt").read_text().startswith("OpenSSH_")
    e_lines = (capture.dir / "server-E.log").read_text().splitlines()
    times = (capture.dir / "server-E.times").read_text().split()
    assert len(times) == len(e_lines) and e_lines[0].startswith("Server listening on ")
    if capture.syslog:
        n3164 = len((capture.dir / "auth-3164.log").read_text().splitlines())
        n3339 = len((capture.dir / "auth-3339.log").read_text().splitlines())
        assert n3164 == n3339 > 1


@pytest.mark.parametrize("scenario", list(EXPECT))
def test_capture_has_no_machine_paths(capture: ScenarioCapture, scenario: str) -> None:
    for path in capture.dir.iterdir():
        text = path.read_text(errors="replace")
        assert "/tmp/" not in text and "pytest-of" not in text, path.name
    assert f"HostKey {NEUTRAL_ROOT}/keys/" in (capture.dir / "sshd_config").read_text()
