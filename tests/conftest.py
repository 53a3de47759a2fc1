"""Shared test options: ``--update-goldens`` rewrites the golden report files."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/golden/* from the current output",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the per-file table of the real-log invariant test, when it ran."""
    import sys

    mod = sys.modules.get("tests.test_real_invariants")
    results = getattr(mod, "RESULTS", None)
    if not results:
        return
    from tests import invariants

    terminalreporter.section("real-log invariants: connections, sshd pids, violations by kind")
    for line in invariants.table(sorted(results, key=lambda r: r.name)):
        terminalreporter.write_line(line)
