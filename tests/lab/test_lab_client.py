"""Client side: the triage of each scenario's ``ssh -vvv`` transcript gives the right family."""

from __future__ import annotations

import pytest
from sshlab.expect import EXPECT
from sshlab.runner import ScenarioCapture

CASES = [
    pytest.param(
        s, marks=[pytest.mark.xfail(reason=e.xfail["client"], strict=False)]
        if "client" in e.xfail else [],
    )
    for s, e in EXPECT.items()
    if e.client_family is not None
]  # fmt: skip


@pytest.mark.parametrize("scenario", CASES)
def test_client_family(capture: ScenarioCapture, scenario: str) -> None:
    triage = pytest.importorskip("logsleuth.triage", reason="the triage API is not built yet")
    if not hasattr(triage, "triage_text"):
        pytest.skip("logsleuth.triage has no triage_text yet")
    text = (capture.dir / "client.txt").read_text(errors="replace")
    results = triage.triage_text(text)
    exp = EXPECT[scenario]
    assert results, f"{scenario}: triage found no connection in the transcript"
    last = results[-1]
    assert last.family == exp.client_family, (
        f"{scenario}: client family {last.family} ({last.cause}, stage {last.stage}), "
        f"expected {exp.client_family}"
    )
    if exp.client_cause_hint:
        assert exp.client_cause_hint in (last.cause or "")
