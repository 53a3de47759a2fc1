"""Accuracy over real-world-shaped pastes: the verdict of each paste (family and stage)
against the resolution its thread reached. Prints a table by family; run with ``-s``."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from logsleuth.families import FAMILIES
from logsleuth.triage import NotSshOutput, TriageResult, triage_text, verdict

HERE = Path(__file__).resolve().parent / "corpus"
LABELS = tomllib.loads((HERE / "labels.toml").read_text(encoding="utf-8"))["paste"]
TARGET = 0.95
KINDS = {
    "wrapped-vscode",
    "wrapped-git",
    "wrapped-ansible",
    "wrapped-quote",
    "wrapped-ci",
    "wrapped-ts",
    "greeting",
    "redaction",
    "one-verdict",
    "no-guess",
    "client-side",
    "stage-from-content",
}


def _verdict(name: str) -> TriageResult | None:
    text = (HERE / name).read_text(encoding="utf-8")
    try:
        return verdict(triage_text(text))
    except NotSshOutput:
        return None


def _score() -> tuple[dict[str, list[int]], list[str]]:
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses = []
    for case in LABELS:
        v = _verdict(case["file"])
        row = table[case["family"]]
        row[0] += 1
        fam_ok = v is not None and v.family == case["family"]
        stage_ok = v is not None and v.stage == case["stage"]
        row[1] += fam_ok
        row[2] += stage_ok
        if not (fam_ok and stage_ok):
            got = f"{v.family}/{v.stage} ({v.cause})" if v else "not ssh output"
            misses.append(f"{case['file']}: want {case['family']}/{case['stage']}, got {got}")
    return table, misses


def test_corpus_is_labelled_and_covers_every_kind():
    files = {p.name for p in HERE.glob("*.txt")}
    assert files == {c["file"] for c in LABELS}
    assert len(LABELS) >= 60
    per_family: dict[str, int] = defaultdict(int)
    kinds: set[str] = set()
    for c in LABELS:
        assert c["family"] in FAMILIES and c["resolution"].strip()
        per_family[c["family"]] += 1
        kinds.update(c["kinds"])
        if "cause" in c:
            assert c["cause"].split("/", 1)[0] == c["family"]
    assert max(per_family.values()) <= 7
    assert kinds >= KINDS, KINDS - kinds


def test_family_and_stage_accuracy():
    table, misses = _score()
    total = sum(r[0] for r in table.values())
    fam = sum(r[1] for r in table.values())
    stage = sum(r[2] for r in table.values())
    lines = [f"{'family':<22}{'n':>4}{'family ok':>11}{'stage ok':>10}"]
    for name in sorted(table):
        n, f, s = table[name]
        lines.append(f"{name:<22}{n:>4}{f:>11}{s:>10}")
    lines.append(f"{'total':<22}{total:>4}{fam / total:>11.1%}{stage / total:>10.1%}")
    print("\n" + "\n".join(lines + misses))
    assert fam / total >= TARGET, misses
    assert stage / total >= TARGET, misses


@pytest.mark.parametrize("case", [c for c in LABELS if "cause" in c], ids=lambda c: c["file"])
def test_cause(case):
    v = _verdict(case["file"])
    assert v is not None and v.cause == case["cause"]


@pytest.mark.parametrize(
    "case",
    [c for c in LABELS if c["family"] == "unknown" and c["stage"] == "banner"],
    ids=lambda c: c["file"],
)
def test_no_guess_lists_ranked_candidates_with_checks(case):
    v = _verdict(case["file"])
    assert v is not None and v.family == "unknown"
    assert "MaxStartups" not in v.summary
    text = v.remedy_text + "\n" + v.remedy_snippet + "\n" + v.confirm
    for word in ("hosts.deny", "fail2ban", "MaxStartups", "systemctl status", "load balancer"):
        assert word in text, word
