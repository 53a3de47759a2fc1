"""Server side: logsleuth gives each scenario's connection the right family in every form."""

from __future__ import annotations

from pathlib import Path

import pytest
from sshlab.checks import (
    FORMS,
    FormUnavailable,
    describe,
    problems,
    scan_form,
    scenario_connections,
)
from sshlab.expect import EXPECT
from sshlab.runner import ScenarioCapture

CASES = [
    pytest.param(
        s, f, marks=[pytest.mark.xfail(reason=EXPECT[s].xfail[f], strict=False)]
        if f in EXPECT[s].xfail else [],
    )
    for s in EXPECT
    for f in FORMS
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "form"), CASES)
def test_server_family(capture: ScenarioCapture, scenario: str, form: str, tmp_path: Path) -> None:
    try:
        report = scan_form(capture.dir, form, tmp_path)
    except FormUnavailable as exc:
        pytest.skip(str(exc))
    ssh, raw = scenario_connections(report, capture.dir, form)
    found = problems(EXPECT[scenario], ssh, raw)
    assert not found, f"{scenario} [{form}]: {found}; seen: {describe(ssh + raw)}"
