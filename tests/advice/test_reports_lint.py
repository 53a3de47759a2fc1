"""The advice lint over whole reports: the samples, every corpus file (real servers in
``wild-public`` included) and the lab's saved captures. (It also runs on every other report
the suite builds, through ``tests/conftest.py``.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logsleuth import api
from tests.advice.lint import lint

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / ".." / "shared" / "corpora"
LAB = ROOT / "tests" / "data" / "lab"
NOT_LOGS = {"SOURCES.md", "README.md", "LICENSE", "NOTICE"}


def _years() -> dict[str, int]:
    sources = CORPORA / "wild-public" / "SOURCES.md"
    if not sources.is_file():
        return {}
    text = sources.read_text(encoding="utf-8")
    return {m[1]: int(m[2]) for m in re.finditer(r"^- `([^`]+)`: (\d{4})", text, re.M)}


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in NOT_LOGS)


@pytest.mark.parametrize("name", ["auth.log", "auth-precise.log"])
def test_sample_advice_passes_the_lint(name):
    report = api.scan([str(ROOT / "sample_logs" / name)], year=2026)
    assert report.advice
    assert lint(report) == []


@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora at {CORPORA}")
@pytest.mark.parametrize(
    "path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPORA)) if CORPORA.is_dir() else ""
)
def test_corpus_advice_passes_the_lint(path):
    year = _years().get(path.name, 2021)
    report = api.scan([str(path)], year=year)
    assert lint(report) == []


LAB_LOGS = sorted(LAB.glob("*/auth-3339.log"))


@pytest.mark.skipif(not LAB_LOGS, reason="no saved lab captures")
def test_lab_capture_advice_passes_the_lint():
    report = api.scan([str(p) for p in LAB_LOGS], year=2026)
    assert lint(report) == []
