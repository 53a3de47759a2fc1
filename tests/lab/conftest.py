"""The disconnect lab: prerequisites, the shared run of all selected scenarios.

Every test under tests/lab is marked ``lab``. Without root or the lab's tools the tests
skip with a reason. The scenarios the selected tests need run once per session, in
parallel, before the first lab test; each test then checks one scenario in one form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sshlab.env import LabEnv, missing_prerequisites
from sshlab.expect import EXPECT
from sshlab.netns import netns_unavailable
from sshlab.rsyslog import PrivateRsyslog, dev_log_served
from sshlab.runner import ScenarioCapture, run_all
from sshlab.scenarios import SCENARIOS

_HERE = Path(__file__).resolve().parent
_WANTED = pytest.StashKey[set[str]]()


@dataclass
class LabRun:
    """The captures of one lab run and why parts of it could not run."""

    captures: dict[str, ScenarioCapture]
    syslog_skip: str | None
    netns_skip: str | None
    seconds: float


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark lab tests, skip them without prerequisites, and note the scenarios needed."""
    missing = missing_prerequisites()
    wanted: set[str] = set()
    for item in items:
        if _HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.lab)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"lab needs: {', '.join(missing)}"))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "scenario" in callspec.params:
            wanted.add(callspec.params["scenario"])
    config.stash[_WANTED] = wanted


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    """Run the selected scenarios (both logging modes, in parallel) once per session."""
    wanted = request.config.stash.get(_WANTED, set()) or set(SCENARIOS)
    root = tmp_path_factory.mktemp("lab")
    env = LabEnv(root)
    env.prepare()
    netns_skip = netns_unavailable()
    chosen = {
        n: fn
        for n, fn in SCENARIOS.items()
        if n in wanted and not (EXPECT[n].needs_netns and netns_skip)
    }
    syslog_skip = (
        "/dev/log is already served by another syslog daemon" if dev_log_served() else None
    )
    rsyslog = None if syslog_skip else PrivateRsyslog(root / "rsyslog")
    started = time.monotonic()
    try:
        if rsyslog is not None:
            rsyslog.start()
        captures = run_all(env, chosen, root / "jobs", rsyslog, root / "captures")
    finally:
        if rsyslog is not None:
            rsyslog.stop()
    return LabRun(captures, syslog_skip, netns_skip, time.monotonic() - started)


@pytest.fixture
def capture(lab: LabRun, scenario: str) -> ScenarioCapture:
    """One scenario's capture; skips when the scenario could not run here."""
    if EXPECT[scenario].needs_netns and lab.netns_skip:
        pytest.skip(f"network namespaces unavailable: {lab.netns_skip}")
    cap = lab.captures[scenario]
    assert not cap.errors, "scenario failed:\n" + "\n".join(cap.errors)
    return cap
