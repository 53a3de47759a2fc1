"""The bundled sample (sample_logs/) is reproducible, covers every family, scans to its truth."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsleuth.families import FAMILIES, OPEN

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs"
FILES = ("auth.log", "auth-precise.log", "truth.json")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    subprocess.run(
        [sys.executable, str(SAMPLE / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FILES)
def test_committed_file_equals_a_fresh_generation(fresh: Path, name: str) -> None:
    committed = (SAMPLE / name).read_bytes()
    assert committed == (fresh / name).read_bytes(), (
        f"sample_logs/{name} is stale: run python sample_logs/generate.py and commit"
    )


def test_generated_logs_carry_the_last_line_time_as_mtime(fresh: Path) -> None:
    last = (fresh / "auth-precise.log").read_text(encoding="utf-8").splitlines()[-1]
    last_ts = datetime.fromisoformat(last.split(" ", 1)[0])
    for name in ("auth.log", "auth-precise.log"):
        mtime = datetime.fromtimestamp((fresh / name).stat().st_mtime, UTC)
        assert mtime.year == 2026
        assert abs((mtime - last_ts).total_seconds()) < 1


def test_both_framings_hold_the_same_lines() -> None:
    plain = (SAMPLE / "auth.log").read_text(encoding="utf-8").splitlines()
    precise = (SAMPLE / "auth-precise.log").read_text(encoding="utf-8").splitlines()
    assert len(plain) == len(precise) > 2000
    for a, b in zip(plain, precise, strict=True):
        assert a[16:] == b.split(" ", 1)[1]
        # Same second: "Nov  1 03:10:04" against "2026-11-01T03:10:04.xxxxxx+00:00".
        when = datetime.fromisoformat(b.split(" ", 1)[0])
        assert a[:15] == f"{when:%b} {when.day:>2} {when:%H:%M:%S}"


def test_plain_file_crosses_october_into_two_space_november_days() -> None:
    text = (SAMPLE / "auth.log").read_text(encoding="utf-8")
    assert text.startswith("Oct 30 ")
    assert re.search(r"^Nov  1 \d\d:\d\d:\d\d ", text, re.MULTILINE)
    assert re.search(r"^Nov  2 \d\d:\d\d:\d\d ", text, re.MULTILINE)


def test_every_family_appears_in_the_truth(truth: dict) -> None:
    seen = {c["family"] for c in truth["connections"]}
    seen |= {c["family"] for c in truth["client_invocations"]}
    assert seen == set(FAMILIES) | {OPEN}
    counted: dict[str, int] = {}
    for c in truth["connections"] + truth["client_invocations"]:
        counted[c["family"]] = counted.get(c["family"], 0) + 1
    assert counted == truth["families"]


def test_truth_connections_are_keyed_uniquely_and_appear_in_the_log(truth: dict) -> None:
    keys = [(c["host"], c["client_ip"], c["client_port"]) for c in truth["connections"]]
    assert len(keys) == len(set(keys))
    text = (SAMPLE / "auth.log").read_text(encoding="utf-8")
    # Every connection is named by "IP port P" somewhere ("[IP]:P" in listener drops).
    missing = [
        k for k in keys if f"{k[1]} port {k[2]}" not in text and f"[{k[1]}]:{k[2]}" not in text
    ]
    assert not missing


def test_truth_cause_ids_belong_to_their_family(truth: dict) -> None:
    for c in truth["connections"] + truth["client_invocations"]:
        assert c["cause"] == OPEN or c["cause"].startswith(c["family"] + "/")


@pytest.mark.parametrize("name", ["auth.log", "auth-precise.log"])
def test_scan_gives_each_truth_connection_its_family(truth: dict, name: str) -> None:
    api = pytest.importorskip("logsleuth.api", reason="the scan pipeline is not built yet")
    report = api.scan([str(SAMPLE / name)])
    got = {(c.host, c.client_ip, c.client_port): c.family for c in report.connections}
    wrong = []
    for c in truth["connections"]:
        key = (c["host"], c["client_ip"], c["client_port"])
        if got.get(key) != c["family"]:
            wrong.append(f"{key}: expected {c['family']} ({c['cause']}), got {got.get(key)}")
    assert not wrong, f"{len(wrong)} of {len(truth['connections'])} wrong:\n" + "\n".join(
        wrong[:40]
    )
