"""Hand-checked pastes: each one's attempts, stages, causes, decisive lines and fixes."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from logsleuth.families import FAMILIES
from logsleuth.renderers.markdown import inline
from logsleuth.triage import render_triage, triage_text

HERE = Path(__file__).resolve().parent
PASTES = HERE / "pastes"
CASES = tomllib.loads((HERE / "expected.toml").read_text(encoding="utf-8"))["case"]
FORMATS = ("text", "json", "markdown")


def read(name: str) -> str:
    return (PASTES / name).read_text(encoding="utf-8", errors="replace")


def test_every_paste_has_expectations():
    files = {p.name for p in PASTES.glob("*.txt")}
    assert files == {c["file"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_paste(case):
    results = triage_text(read(case["file"]))
    expected = case["attempt"]
    got = [(r.role, r.stage, r.cause) for r in results]
    want = [(a.get("role", "target"), a["stage"], a["cause"]) for a in expected]
    assert got == want
    for r, a in zip(results, expected, strict=True):
        assert r.family == a["cause"].split("/", 1)[0]
        assert r.family in FAMILIES
        assert r.summary and r.explanation and r.remedy_text and r.confirm
        assert r.evidence, "every diagnosis cites lines"
        if "decisive" in a:
            lines = read(case["file"]).splitlines()
            no = a["decisive"]
            assert no in [n for n, _ in r.evidence]
            text = dict(r.evidence)[no]
            # The cited text is the pasted line without terminal junk (PuTTY's
            # three-line disconnect message is cited joined, from its first line).
            raw = re.sub(r"\x1b\[[0-9;]*m", "", lines[no - 1]).strip()
            assert text in raw or text.startswith(raw)
        for piece in a.get("snippet", []):
            assert piece in r.remedy_snippet
        if "target" in a:
            assert r.target == a["target"]
        if "silence" in a:
            assert r.silence_s == pytest.approx(a["silence"])


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_every_format_renders(case):
    results = triage_text(read(case["file"]))
    doc = json.loads(render_triage(results, "json"))
    assert doc["schema"] == "logsleuth.triage/1"
    assert len(doc["attempts"]) == len(results)
    for a, r in zip(doc["attempts"], results, strict=True):
        assert (a["stage"], a["family"], a["cause"]) == (r.stage, r.family, r.cause)
        assert a["evidence"] == [{"line": n, "text": t} for n, t in r.evidence]
        assert a["remedy"] == {"text": r.remedy_text, "snippet": r.remedy_snippet}
    if len(results) == 1:
        for key in ("stage", "family", "cause", "summary", "evidence", "remedy"):
            assert doc[key] == doc["attempts"][0][key]
    text = render_triage(results, "text")
    md = render_triage(results, "markdown")
    for r in results:
        assert r.cause in text and f"`{r.cause}`" in md
        assert r.summary in text and inline(r.summary) in md


def _originals(text: str, private: list[str]) -> set[str]:
    found = set(private)
    for m in re.finditer(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w])", text):
        found.add(m.group(0))
    found.update(m.group(0).rstrip(".") for m in re.finditer(r"SHA256:[A-Za-z0-9+/]{20,}", text))
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_anonymize_leaves_nothing_in_any_format(case):
    paste = read(case["file"])
    secrets = _originals(paste, case["private"])
    results = triage_text(paste, anonymize=True)
    plain = triage_text(paste)
    assert [r.cause for r in results] == [r.cause for r in plain]
    for fmt in FORMATS:
        out = render_triage(results, fmt)
        for s in secrets:
            assert not re.search(rf"(?<![\w.-]){re.escape(s)}(?![\w-])", out), (fmt, s)
