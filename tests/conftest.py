"""Shared test options (``--update-goldens`` rewrites the golden report files) and the
advice lint applied to every report a test builds."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE_HOME = tempfile.mkdtemp(prefix="logsleuth-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """Validated catalogues are cached under $XDG_CACHE_HOME: the tests (and the commands
    they start) use a directory of their own, never the user's."""
    os.environ["XDG_CACHE_HOME"] = _CACHE_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_HOME, ignore_errors=True)


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


@pytest.fixture(autouse=True, scope="session")
def _advice_lint_on_every_report():
    """Run the advice lint on every report any test builds (tests/advice/lint.py)."""
    from logsleuth import api, report
    from tests.advice.lint import lint

    original = report.build_report

    def checked(*args, **kwargs):
        built = original(*args, **kwargs)
        problems = lint(built)
        assert not problems, "advice lint:\n" + "\n".join(problems)
        return built

    mp = pytest.MonkeyPatch()
    mp.setattr(report, "build_report", checked)
    mp.setattr(api, "build_report", checked)
    yield
    mp.undo()
