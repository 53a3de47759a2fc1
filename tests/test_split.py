"""A scan split by host among processes gives the report of a scan in one process.

The helpers (:mod:`logsleuth.split`) are real forked processes reading the real files;
the reports are compared as rendered JSON, byte for byte, over the bundled samples and
every corpus file a reader takes. Also: each host's connections do not depend on the
other hosts' lines in the same log (which is what makes the split exact), the merges of
counts and unmatched shapes, and what happens when a helper fails or is killed.
"""

from __future__ import annotations

import os
import signal
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import gen_authlog
from logsleuth import api, ingest, split
from logsleuth.errors import LogsleuthError
from logsleuth.ingest import Tally, Unmatched
from logsleuth.model import Connection, Evidence
from logsleuth.readers.sources import Source
from logsleuth.renderers import iter_render
from logsleuth.sessionize import NO_HOST
from tests.test_corpora import YEAR
from tests.test_fast_path import READABLE, SAMPLES, _name, no_corpora
from tests.test_real_invariants import YEARS


def _json(paths: list[Path], jobs: int, **kw: object) -> str:
    with api.open_scan([str(p) for p in paths], jobs=jobs, **kw) as rep:  # type: ignore[arg-type]
        return "".join(iter_render(rep, "json"))


@pytest.fixture(autouse=True)
def _own_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Spools in this test's own folder (other runs may share the system's)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def _leftovers() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("logsleuth-split-")}


def _children() -> set[int]:
    """This process's child processes (zombies included)."""
    pids: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            pids.update(int(p) for p in fh.read().split())
    return pids


# -- the same report ------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_samples_give_the_same_report_split_among_processes(jobs: int) -> None:
    before, children = _leftovers(), _children()
    one = _json(SAMPLES, 1, year=2026)
    assert _json(SAMPLES, jobs, year=2026) == one
    assert _leftovers() == before  # the spool is removed
    assert _children() <= children  # every helper ended and was reaped


def test_a_window_gives_the_same_report_split() -> None:
    since = datetime(2026, 10, 30, 8, tzinfo=UTC)
    until = datetime(2026, 10, 30, 20, tzinfo=UTC)
    one = _json(SAMPLES, 1, year=2026, since=since, until=until)
    assert _json(SAMPLES, 2, year=2026, since=since, until=until) == one


@no_corpora
@pytest.mark.parametrize("path", READABLE, ids=[_name(p) for p in READABLE])
def test_a_corpus_log_gives_the_same_report_split(path: Path) -> None:
    year = YEARS.get(_name(path), YEAR)
    assert _json([path], 2, year=year) == _json([path], 1, year=year)


@pytest.fixture(scope="module")
def fleet_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 lines of thirteen hosts' internet-facing traffic (the benchmark's mix)."""
    path = tmp_path_factory.mktemp("fleet") / "auth.log"
    assert gen_authlog.main(["40000", str(path), "--mix", "real", "--seed", "7"]) == 0
    return path


def test_a_fleet_log_gives_the_same_report_split(fleet_log: Path) -> None:
    assert _json([fleet_log], 2, year=2026) == _json([fleet_log], 1, year=2026)


@pytest.mark.parametrize("log", ["sample", "fleet"])
def test_each_hosts_connections_ignore_the_other_hosts_lines(
    log: str, fleet_log: Path, tmp_path: Path
) -> None:
    """The sessionizer settles each host on its own count of lines: a host's lines alone
    give that host the connections it gets in the merged log."""
    path = SAMPLES[0] if log == "sample" else fleet_log
    text = path.read_text()
    merged = api.scan([str(path)], year=2026, jobs=1)
    hosts = sorted({c.host for c in merged.connections})
    assert len(hosts) >= 4
    for host in hosts:
        alone = tmp_path / f"{host}.log"
        alone.write_text("".join(ln for ln in text.splitlines(True) if f" {host} " in ln[:40]))
        os.utime(alone, (path.stat().st_mtime,) * 2)
        own = api.scan([str(alone)], year=2026, jobs=1)
        mine = [c for c in merged.connections if c.host == host]
        assert [_texts(c) for c in mine] == [_texts(c) for c in own.connections]


def _texts(c: Connection) -> Connection:
    """A connection with its evidence reduced to the lines' texts (the file differs)."""
    return replace(
        c,
        evidence=tuple(Evidence("", 0, e.text) for e in c.evidence),
        decisive=Evidence("", 0, c.decisive.text) if c.decisive else None,
    )


# -- which process takes a host ---------------------------------------------------------


def test_every_process_works_out_the_same_assignment() -> None:
    hosts = [f"h{i % 7}" for i in range(50)] + [None, "-", NO_HOST, "h9"] * 3
    views = [split.HostSplit(3, k) for k in range(3)]
    owners = [[k for k, v in enumerate(views) if v.owns(h)] for h in hosts]
    assert all(len(o) == 1 for o in owners)  # each line is taken by exactly one process
    owner = {h: o[0] for h, o in zip(hosts, owners, strict=True)}
    assert len({owner[None], owner["-"], owner[NO_HOST]}) == 1  # one key downstream
    assert len(set(owner.values())) == 3  # new hosts go to the least loaded


def test_a_new_host_goes_to_the_process_with_the_fewest_lines() -> None:
    s = split.HostSplit(2, 0)
    assert [s.owns(h) for h in ["a"] * 5 + ["b", "c", "c"]] == [True] * 5 + [False] * 3
    assert s.owns("d") is False  # b and c took 3 lines, a took 5


def test_the_number_of_processes() -> None:
    big = Source(str(SAMPLES[0]), "syslog")
    assert split.jobs_for([Source("-", "syslog")], 4) == 1  # stdin is read once
    assert split.jobs_for([big], 3) == 3
    assert split.jobs_for([big], 99) == split.MAX_JOBS
    assert split.jobs_for([big], None) == 1  # small: not worth a fork


def test_a_large_log_of_several_hosts_is_split_one_of_one_host_is_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(split, "MIN_BYTES", 1)  # the samples stand for large logs
    monkeypatch.setattr(split, "usable_cpus", lambda: 2)
    monkeypatch.setattr(split.threading, "active_count", lambda: 1)  # earlier tests' threads
    monkeypatch.setattr(split, "_load", lambda: 0.5)  # other jobs on the machine
    several = [Source(str(p), "syslog") for p in SAMPLES]
    parts, plan = split.choose(several, None)
    assert parts == 2 and {"web01", "bastion", "db01"} <= set(plan)
    assert set(plan.values()) == {0, 1}
    one = tmp_path / "auth.log"
    one.write_text("".join(ln for ln in SAMPLES[0].read_text().splitlines(True) if " web01 " in ln))
    assert split.choose([Source(str(one), "syslog")], None) == (1, {})  # nothing to share
    parts, plan = split.choose([Source(str(one), "syslog")], 2)  # as told
    assert parts == 2 and list(plan) == ["web01"]
    monkeypatch.setattr(split.threading, "active_count", lambda: 3)
    assert split.choose(several, None) == (1, {})  # a fork would copy one thread of three
    assert split.choose(several, 2)[0] == 2
    monkeypatch.setattr(split.threading, "active_count", lambda: 1)
    monkeypatch.setattr(split, "_load", lambda: 1.5)
    assert split.choose(several, None) == (1, {})  # no idle CPU to give a helper
    monkeypatch.setattr(split, "_load", lambda: 0.5)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    assert split.choose(several, None) == (1, {})


# -- merging ------------------------------------------------------------------------------


def test_unmatched_shapes_merge_keeping_the_first_example() -> None:
    a, b = Unmatched(), Unmatched()
    a.add("odd thing 1", (0, 5))
    b.add("odd thing 2", (0, 3))
    b.add("other 7", (1, 1))
    a.merge(b)
    assert a.counts == {"odd thing N": 2, "other N": 1}
    assert a.examples == {"odd thing N": "odd thing 2", "other N": "other 7"}


def test_unmatched_shapes_past_the_cap_are_counted_with_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest, "MAX_SHAPES", 2)
    a, b = Unmatched(), Unmatched()
    for n, word in enumerate(["x", "y", "z"]):
        a.add(word, (0, n * 2))
    for n, word in enumerate(["w", "x"]):
        b.add(word, (0, n * 2 + 1))
    a.merge(b)
    assert list(a.counts) == ["x", "w"]  # the first two shapes read
    assert sum(a.counts.values()) + a.other == 5


def test_tallies_merge() -> None:
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    t2 = datetime(2026, 1, 2, tzinfo=UTC)
    a = Tally(lines=10, ssh=3, matched=2, total=3, first=t2, last=t2, forger=(9, "x"))
    a.flaws.add("pid")
    b = Tally(lines=10, ssh=4, matched=4, total=5, first=t1, last=t1, forger=(4, "y"))
    b.flaws.add("port")
    a.merge(b)
    assert (a.lines, a.ssh, a.matched, a.total) == (10, 7, 6, 8)
    assert (a.first, a.last, a.forger, a.flaws) == (t1, t2, (4, "y"), {"pid", "port"})


# -- failures -----------------------------------------------------------------------------


def test_a_failing_helper_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ingest.IngestRun) -> ingest.PartResult:
        raise ValueError("something broke")

    monkeypatch.setattr(ingest.IngestRun, "part_result", broken)
    before = _leftovers()
    with pytest.raises(LogsleuthError, match="helper process failed: ValueError: something"):
        _json(SAMPLES, 2, year=2026)
    assert _leftovers() == before


def test_a_killed_helper_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(self: ingest.IngestRun) -> ingest.PartResult:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("not reached")

    monkeypatch.setattr(ingest.IngestRun, "part_result", killed)
    with pytest.raises(LogsleuthError, match="ended without its result .killed by signal 9"):
        _json(SAMPLES, 2, year=2026)


def test_a_main_process_failing_while_a_helper_reads_ends_the_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The main process fails while its helper still runs: the helper is ended and
    reaped, its spool removed, and the error is the main process's."""

    def slow(self: ingest.IngestRun) -> ingest.PartResult:
        signal.pause()  # until ended
        raise AssertionError("not reached")

    def broken(store: object, folder: str) -> int:
        raise LogsleuthError("the store failed")

    monkeypatch.setattr(ingest.IngestRun, "part_result", slow)
    monkeypatch.setattr(split, "_load_spool", broken)
    before, children = _leftovers(), _children()
    with pytest.raises(LogsleuthError, match="the store failed"):
        _json(SAMPLES, 2, year=2026)
    assert _leftovers() == before
    assert _children() <= children
